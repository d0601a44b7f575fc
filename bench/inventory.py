#!/usr/bin/env python3
"""Makes a large inventory (N interfaces with their security groups, ACLs and subnets) and an
ip-ranges.json of M prefixes, shaped like the AWS CLI's and AWS's own, for timing `report`
with and without them:

    python3 bench/inventory.py --enis 5000 --prefixes 20000 --out /tmp/inv
    hyperfine -N 'vpctop report --json FLOWS' \
        'vpctop report --json --inventory /tmp/inv --ip-ranges /tmp/inv/../ip-ranges.json FLOWS'

The interfaces take the 10.x addresses genflows.py writes, so names are looked up for real.
"""
import argparse
import json
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enis", type=int, default=5000)
    ap.add_argument("--prefixes", type=int, default=20000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(7)
    os.makedirs(a.out, exist_ok=True)
    enis, instances, subnets = [], [], []
    for s in range(64):
        subnets.append({"SubnetId": f"subnet-{s:08x}", "VpcId": "vpc-00000001",
                        "CidrBlock": f"10.{s}.0.0/16", "AvailabilityZone": "us-east-1a",
                        "Tags": [{"Key": "Name", "Value": f"subnet-{s}"}]})
    for i in range(a.enis):
        ip = f"10.{rng.randrange(64)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        enis.append({"NetworkInterfaceId": f"eni-{i:017x}", "PrivateIpAddress": ip,
                     "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": True}],
                     "SubnetId": f"subnet-{int(ip.split('.')[1]):08x}", "VpcId": "vpc-00000001",
                     "InterfaceType": "interface", "Groups": [{"GroupId": f"sg-{i % 50:08x}"}],
                     "Attachment": {"InstanceId": f"i-{i:017x}"}, "TagSet": []})
        instances.append({"InstanceId": f"i-{i:017x}", "Tags": [{"Key": "Name", "Value": f"host-{i}"}]})
    groups = [{"GroupId": f"sg-{g:08x}", "GroupName": f"group-{g}",
               "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                  "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
               "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
              for g in range(50)]
    acls = [{"NetworkAclId": "acl-00000001", "Associations": [{"SubnetId": s["SubnetId"]} for s in subnets],
             "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e,
                          "CidrBlock": "0.0.0.0/0"} for e in (False, True)]}]
    for name, doc in [("network-interfaces.json", {"NetworkInterfaces": enis}),
                      ("instances.json", {"Reservations": [{"Instances": instances}]}),
                      ("security-groups.json", {"SecurityGroups": groups}),
                      ("network-acls.json", {"NetworkAcls": acls}),
                      ("subnets.json", {"Subnets": subnets})]:
        with open(os.path.join(a.out, name), "w") as f:
            json.dump(doc, f, indent=4)
    services = ["AMAZON", "EC2", "S3", "CLOUDFRONT", "DYNAMODB", "ROUTE53"]
    prefixes = []
    for _ in range(a.prefixes):
        length = rng.choice([16, 18, 20, 22, 24, 26])
        base = rng.getrandbits(32) & ~((1 << (32 - length)) - 1)
        ip = ".".join(str((base >> s) & 255) for s in (24, 16, 8, 0))
        prefixes.append({"ip_prefix": f"{ip}/{length}", "region": "us-east-1",
                         "service": rng.choice(services), "network_border_group": "us-east-1"})
    with open(os.path.join(os.path.dirname(os.path.abspath(a.out)), "ip-ranges.json"), "w") as f:
        json.dump({"syncToken": "0", "createDate": "2026-11-29-00-00-00",
                   "prefixes": prefixes, "ipv6_prefixes": []}, f)
    print(f"{a.out}: {a.enis} interfaces; ip-ranges.json beside it: {a.prefixes} prefixes")


if __name__ == "__main__":
    main()
