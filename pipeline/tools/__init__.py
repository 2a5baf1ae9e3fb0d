"""Thin wrappers over external commands; every call goes through run.Runner."""
