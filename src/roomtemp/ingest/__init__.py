"""Body formats sensors speak, parsed into raw items for validation (see roomtemp.validation).

formats.py      JSON (object or array), CSV and NDJSON
pushgateway.py  the Pushgateway protocol: grouping keys in the path, the text exposition format
"""
