#!/usr/bin/env python3
"""The getting-started sample "Export Customers" from the CRO docs, run against any CRO server.

The loop below is the docs' `process_customers` sample, unchanged except that:
- its three placeholders come from environment variables:
    CRO_BASE_URL   replaces 'http://<my-api-url-here>' (e.g. http://127.0.0.1:8080)
    CRO_TOKEN      replaces '<your-token-here>' (the access token, without "bearer ")
    CRO_TENANT_ID  replaces '<your-tenant-id-here>'
- `--page-limit N` adds `page_limit` to each request; without it (the default) the request
  is exactly the sample's, and the server's default page size applies.

It prints every customer, one Python dict per line, as the sample does.
"""

import argparse
import os
import sys

import requests, json


def _placeholders():
    missing = [v for v in ("CRO_BASE_URL", "CRO_TOKEN", "CRO_TENANT_ID") if not os.environ.get(v)]
    if missing:
        sys.exit("sample_export_customers.py: set " + ", ".join(missing))
    token = os.environ["CRO_TOKEN"]
    if token.lower().startswith("bearer "):
        token = token[len("bearer "):]
    return os.environ["CRO_BASE_URL"].rstrip("/"), token, os.environ["CRO_TENANT_ID"]


_args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_args.add_argument("--page-limit", type=int, default=None, metavar="N",
                   help="page size to request (default: none, the server's default)")
PAGE_LIMIT = _args.parse_args().page_limit
MY_API_URL, YOUR_TOKEN, YOUR_TENANT_ID = _placeholders()


# ---- the docs' sample, unchanged but for the placeholders and the page_limit line ----------

def process_customers(cb, **kw):
    url = MY_API_URL + '/customers'
    headers = {
        'Authorization': 'bearer ' + YOUR_TOKEN,
        'x-tenant-id': YOUR_TENANT_ID,
        'content-type': 'application/json'
    }
    next_page = 1
    while True:
        params = {
            'page_index': next_page
        }
        if PAGE_LIMIT is not None:
            params['page_limit'] = PAGE_LIMIT
        response = requests.get(
            url,
            headers=headers,
            params=params
        )
        results = json.loads(response.text)
        for item in results['results']:
            cb(item, **kw)
        total_pages = int(results['total_pages'])
        next_page = int(results['current_page']) + 1
        if next_page > total_pages:
            break

process_customers(print)
