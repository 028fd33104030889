"""A module that leaves a thread running when imported: the warm worker's server must refuse to
fork after importing it (tests/unit/test_warm.py)."""

import threading
import time

threading.Thread(target=lambda: time.sleep(3600), daemon=True).start()
