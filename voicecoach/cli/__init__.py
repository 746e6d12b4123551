"""The command line: click commands (commands.py and one module a group of them), the tables and
charts they print. Thin: parse, call the rooms below, print. entry.py is the console script's first code.

May import: every room; nothing imports cli (only voicecoach.__main__ and the console script).
"""
