"""The refs the mirror reads and writes, by name: on origin and in the mirror repository itself.

A host's own branches are named from its settings (`Settings.host_branch`, `Settings.live_branch`).
"""
MAIN = "refs/heads/main"
ORIGIN_MAIN = "refs/remotes/origin/main"  # the mirror's copy of origin's main, as last fetched
BASE_REF = "refs/mirror/base"  # the main this machine last merged: the base of its next three-way merge
PROPOSAL_PREFIX = "proposal"  # proposal/<host>/<time>: a contributor's snapshot offered to main
