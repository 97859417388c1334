"""Dailies triage: the features that sort a day of rushes into takes and discardable footage.

Sub-packages each own one kind of evidence (for example :mod:`rushes.triage.speech`: spoken set
commands such as "action" and "cut", the transcript, and the slate's clap).
"""
