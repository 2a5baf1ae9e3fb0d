"""Settings from $AGENTIHOOKS_HOME/.env and the environment."""
from __future__ import annotations

import pytest

from pipeline.config.settings import load_settings
from pipeline.errors import ConfigError


def write_env(tmp_path, text):
    home = tmp_path / ".agentihooks"
    home.mkdir(exist_ok=True)
    (home / ".env").write_text(text)
    return home / ".env"


def test_defaults_follow_the_spec(tmp_path):
    settings = load_settings({"HOME": str(tmp_path), "MEMORY_MIRROR_HOSTNAME": "box"})
    assert settings.home == tmp_path / ".agentihooks"
    assert settings.mirror_dir == tmp_path / ".agentihooks" / "memory-mirror"
    assert settings.prefix == "gitfoam"
    assert settings.interval == 60
    assert settings.sweep_idle_days == 15
    assert settings.claude_projects == tmp_path / ".claude" / "projects"
    assert settings.host_branch == "gitfoam/box/main"
    assert settings.remote is None


def test_env_file_is_read_and_the_environment_overrides_it(tmp_path):
    write_env(tmp_path, "# mirror\nMEMORY_MIRROR_MODE=write\nMEMORY_MIRROR_REMOTE=git@github.com:o/r.git\n"
                        "MEMORY_MIRROR_DIR=~/elsewhere\nMEMORY_MIRROR_INTERVAL_SEC=30\n")
    settings = load_settings({"HOME": str(tmp_path), "MEMORY_MIRROR_INTERVAL_SEC": "5"})
    assert settings.mode == "write"
    assert settings.remote == "git@github.com:o/r.git"
    assert settings.mirror_dir == tmp_path / "elsewhere"
    assert settings.interval == 5


def test_claude_config_dir_moves_claude_s_projects_unless_ours_names_them(tmp_path):
    moved = load_settings({"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": "~/cc"})
    assert moved.claude_dir == tmp_path / "cc"
    assert moved.claude_projects == tmp_path / "cc" / "projects"
    ours = load_settings({"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": "~/cc", "MEMORY_MIRROR_CLAUDE_PROJECTS": "/p"})
    assert ours.claude_projects.as_posix() == "/p"


def test_agentihooks_home_moves_everything(tmp_path):
    settings = load_settings({"HOME": str(tmp_path), "AGENTIHOOKS_HOME": str(tmp_path / "ah")})
    assert settings.env_file == tmp_path / "ah" / ".env"
    assert settings.state_dir == tmp_path / "ah" / "state"


@pytest.mark.parametrize(
    ("env_text", "message"),
    [
        ("MEMORY_MIRROR_MODE=write\nthis is not a setting\n",
         "{path}:2: cannot parse 'this is not a setting'. Each line must be KEY=value (or a # comment)."),
        ("MEMORY_MIRROR_INTERVAL_SEC=soon\n",
         "MEMORY_MIRROR_INTERVAL_SEC='soon' is not valid: it must be a whole number >= 1."),
        ("MEMORY_MIRROR_HOSTNAME=my laptop\n",
         "MEMORY_MIRROR_HOSTNAME='my laptop' is not valid: use letters, digits, '.', '_' or '-' "
         "(it becomes part of a branch name)."),
        ("MEMORY_MIRROR_HOSTNAME=box.lock\n",
         "MEMORY_MIRROR_HOSTNAME='box.lock' is not valid: use letters, digits, '.', '_' or '-' "
         "(it becomes part of a branch name)."),
        ("MEMORY_MIRROR_BRANCH_PREFIX=team..a\n",
         "MEMORY_MIRROR_BRANCH_PREFIX='team..a' is not valid: git refuses '..' in a branch name; use a branch-name "
         "prefix such as 'gitfoam' (letters, digits, '.', '_', '-', parts separated by '/'; not main, proposal or "
         "mirror)."),
        ("MEMORY_MIRROR_BRANCH_PREFIX=fleet/x.lock\n",
         "MEMORY_MIRROR_BRANCH_PREFIX='fleet/x.lock' is not valid: git refuses a part ending in '.lock' (x.lock) in "
         "a branch name; use a branch-name prefix such as 'gitfoam' (letters, digits, '.', '_', '-', parts "
         "separated by '/'; not main, proposal or mirror)."),
        ("MEMORY_MIRROR_BRANCH_PREFIX=team.\n",
         "MEMORY_MIRROR_BRANCH_PREFIX='team.' is not valid: git refuses a part ending in '.' (team.) in a branch "
         "name; use a branch-name prefix such as 'gitfoam' (letters, digits, '.', '_', '-', parts separated by '/'; "
         "not main, proposal or mirror)."),
        ("MEMORY_MIRROR_BRANCH_PREFIX=fleet branches\n",
         "MEMORY_MIRROR_BRANCH_PREFIX='fleet branches' is not valid: use a branch-name prefix such as 'gitfoam' "
         "(letters, digits, '.', '_', '-', parts separated by '/'; not main, proposal or mirror)."),
        ("MEMORY_MIRROR_BRANCH_PREFIX=proposal\n",
         "MEMORY_MIRROR_BRANCH_PREFIX='proposal' is not valid: use a branch-name prefix such as 'gitfoam' "
         "(letters, digits, '.', '_', '-', parts separated by '/'; not main, proposal or mirror)."),
    ],
)
def test_a_bad_env_file_is_reported_with_what_to_fix(tmp_path, env_text, message):
    path = write_env(tmp_path, env_text)
    with pytest.raises(ConfigError) as error:
        load_settings({"HOME": str(tmp_path)})
    assert str(error.value) == message.format(path=path)
