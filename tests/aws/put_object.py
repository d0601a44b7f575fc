#!/usr/bin/env python3
"""Puts the bytes of FILE as KEY into BUCKET on a local S3 server (moto), for tests/aws.rs.

    put_object.py ENDPOINT BUCKET KEY FILE
"""
import sys

import boto3


def main():
    endpoint, bucket, key, path = sys.argv[1:5]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())


if __name__ == "__main__":
    main()
