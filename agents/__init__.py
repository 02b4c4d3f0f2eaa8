"""Agents for the Task2Sim environments, and the ``t2s`` command line."""
