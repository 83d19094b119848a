"""Runs the SCIM compliance checker scim2-tester against a live server and prints each
check's result as one JSON line: {"status", "title", "resource_type", "reason"}.

Usage: compliance.py BASE_URL TOKEN
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base_url, token = sys.argv[1], sys.argv[2]
http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
client = SyncSCIMClient(http)
for result in check_server(client):
    print(
        json.dumps(
            {
                "status": result.status.name,
                "title": result.title,
                "resource_type": result.resource_type,
                "reason": result.reason,
            }
        ),
        flush=True,
    )
