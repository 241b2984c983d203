#!/usr/bin/env python3
"""Parses a Prometheus text-format file with prometheus_client's own parser (what a scrape
would accept) and prints its samples as JSON: [{"name", "labels", "value"}]."""
import json, sys
from prometheus_client.parser import text_string_to_metric_families

samples = []
with open(sys.argv[1], encoding="utf-8") as handle:
    for family in text_string_to_metric_families(handle.read()):
        for sample in family.samples:
            samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
json.dump(samples, sys.stdout)
