import os

os.environ.setdefault("DO_NOT_TRACK", "1")
