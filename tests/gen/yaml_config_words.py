# SPDX-License-Identifier: Apache-2.0
"""The words vLLM's FlexibleArgumentParser.load_config_file makes of a YAML file
(vllm/utils/argparse_utils.py, May 2026), one per line, with yaml.safe_load as it uses:
the oracle of tests/test_config_yaml.c. Reimplemented from its documented rules: true ->
bare flag, false -> nothing, list -> its items (empty: nothing), mapping -> json.dumps."""
import json
import sys

import yaml

out = []


def walk(d):
    for key, value in d.items():
        if isinstance(value, bool):
            if value:
                out.append("--" + key)
        elif isinstance(value, list):
            if value:
                out.append("--" + key)
                out.extend(str(item) for item in value)
        elif isinstance(value, dict):
            out.append("--" + key)
            out.append(json.dumps(value))
        else:
            out.append("--" + key)
            out.append(str(value))


with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
walk(config or {})
print("\n".join(out))
