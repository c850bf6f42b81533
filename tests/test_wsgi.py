"""The WSGI entry point gunicorn serves."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wsgi_application_freezes_what_it_loaded_out_of_the_cyclic_collector():
    # given a fresh process with the test settings
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    # when it loads the WSGI application as gunicorn does
    code = "import gc, config.wsgi; print(callable(config.wsgi.application), gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    # then the application is there and the objects loaded with it are frozen
    is_callable, frozen = done.stdout.split()
    assert is_callable == "True"
    assert int(frozen) > 10_000
