from draws.adapters.orm import metadata
from spotcheck_common.migrations import run_env

run_env(metadata)
