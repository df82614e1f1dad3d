"""The words vLLM's FlexibleArgumentParser.load_config_file makes of a YAML file
(vllm/utils/argparse_utils.py), one per line, with yaml.safe_load as it uses: the
oracle of tests/test_config_yaml.c. store_true flags: true -> bare flag, false -> none."""
import sys

import yaml

out = []


def walk(prefix, d):
    for key, value in d.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, bool):
            if value:
                out.append("--" + full)
        elif isinstance(value, list):
            out.append("--" + full)
            out.extend(str(item) for item in value)
        elif isinstance(value, dict):
            walk(full, value)
        else:
            out.append("--" + full)
            out.append(str(value))


with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
walk("", config or {})
print("\n".join(out))
