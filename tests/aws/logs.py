#!/usr/bin/env python3
"""Puts flow-log events into a CloudWatch Logs group on a local server (moto), for tests/aws.rs.

    logs.py ENDPOINT GROUP STREAM FIRST COUNT BASE_TIME

Creates the group and stream when missing, then puts COUNT v2 records whose source
addresses are 10.9.S.FIRST … (S the stream's number in its name, eni-000S…), each event at
the record's start: BASE_TIME + 10 s × i (Unix seconds). Prints each event's message.
"""
import sys

import boto3


def main():
    endpoint, group, stream, first, count, base = sys.argv[1:7]
    first, count, base = int(first), int(count), int(base)
    logs = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)
    if not any(s["logStreamName"] == stream for s in streams["logStreams"]):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    n = int(stream[4:8], 16) if stream.startswith("eni-") else 0
    events = []
    for i in range(first, first + count):
        start = base + 10 * i
        message = (f"2 123456789012 {stream[:21]} 10.9.{n}.{i + 1} 10.0.1.5 {40000 + i} 443 6 "
                   f"3 180 {start} {start + 10} ACCEPT OK")
        events.append({"timestamp": start * 1000, "message": message})
        print(message)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


if __name__ == "__main__":
    main()
