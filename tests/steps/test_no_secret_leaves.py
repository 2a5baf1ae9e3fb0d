"""A memory file that holds a credential never reaches any ref on origin, by any path; blocked.log names it."""
from __future__ import annotations

from conftest import git, main_files, origin_refs
from fake_secrets import aws_key, every_blob_on, github_token


def test_credentials_never_leave_through_tick_host_branch_main_or_proposal(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    build = make_machine("build-01", "contributor")
    for machine in (laptop, build):
        machine.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "aws.md", f"the deploy key is {aws_key()}\n")
    laptop.tick()
    build.tick()
    build.write("finops", "MEMORY.md", "v1, with a note\n")
    build.write("finops", "gh.md", f"token: {github_token()}\n")
    build.tick()
    build.run("propose", check=True)
    laptop.tick()
    content = every_blob_on(origin)
    assert aws_key() not in content and github_token() not in content
    assert "v1, with a note\n" in content  # the rest still syncs
    assert "by-project/finops/memory/aws.md" not in main_files(origin)
    assert any(ref.startswith("refs/heads/proposal/") for ref in origin_refs(origin))
    laptop_blocked = (laptop.agentihooks / "logs" / "blocked.log").read_text()
    build_blocked = (build.agentihooks / "logs" / "blocked.log").read_text()
    assert "held back by-project/finops/memory/aws.md: it looks like it holds a secret (AWS access key" in laptop_blocked
    assert "held back by-project/finops/memory/gh.md: it looks like it holds a secret (GitHub token" in build_blocked
    assert aws_key() not in laptop_blocked and github_token() not in build_blocked
    assert laptop_blocked.count("aws.md") == 1  # named once, not on every tick
    # the local files are untouched
    assert aws_key() in (laptop.memory("finops") / "aws.md").read_text()


def test_a_file_that_gains_a_secret_keeps_its_last_clean_version_on_main(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "notes.md", "clean notes\n")
    laptop.tick()
    laptop.write("finops", "notes.md", f"clean notes\nand {aws_key()}\n")
    laptop.tick()
    laptop.tick()
    assert main_files(origin)["by-project/finops/memory/notes.md"] == "clean notes\n"


def test_a_password_in_a_url_a_keyword_assignment_and_a_token_in_a_name_stay_home(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    build = make_machine("build-01", "contributor")
    for machine in (laptop, build):
        machine.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "db.md", "prod: postgres://admin:" + "S3cr3tPassw0rd!" + "@db:5432/prod\n")
    laptop.tick()
    build.tick()
    build.write("finops", "cfg.md", "password: " + "hunter2hunter2" + "\n")
    build.write("finops", f"{github_token()}.md", "an ordinary note\n")
    build.write("finops", "kept.md", "this one travels\n")
    result = build.tick()
    proposed = build.run("propose", check=True)
    laptop.tick()
    content = every_blob_on(origin)
    messages = git("log", "--all", "--format=%B", cwd=origin)
    names = "\n".join(git("ls-tree", "-r", "--name-only", c, cwd=origin) for c in git("rev-list", "--all", cwd=origin).split())
    for secret in ("S3cr3tPassw0rd!", "hunter2hunter2", github_token()):
        assert secret not in content and secret not in messages and secret not in names
        assert secret not in result.stdout + proposed.stdout
    assert "this one travels\n" in content and "kept.md" in proposed.stdout
    blocked = (build.agentihooks / "logs" / "blocked.log").read_text()
    assert github_token() not in blocked
    assert "held back by-project/finops/memory/ghp_…: its name looks like it holds a secret (GitHub token); rename it" \
        in blocked
    assert "held back by-project/finops/memory/cfg.md: it looks like it holds a secret (keyword assignment)" in blocked
    state = (laptop.agentihooks / "state" / "mirror.json").read_text()
    assert str(origin) not in state
