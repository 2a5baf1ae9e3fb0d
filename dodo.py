"""doit entry point: `doit tick`, `doit tick:merge`, `doit -s tick:fetch`, `doit tick dry_run=1`, `doit list --all`,
`doit propose`, `doit sweep`, `doit migrate`, `doit check ref=<ref>`.

Tasks are built from roles.yaml by pipeline.tasks.graph; the steps themselves live in pipeline/steps/.
"""
from pipeline.tasks.graph import (doit_config, task_check, task_migrate, task_propose, task_sweep,  # noqa: F401
                                  task_tick)

DOIT_CONFIG = doit_config()
