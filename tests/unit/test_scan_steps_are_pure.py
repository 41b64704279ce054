"""The scan flows' step functions are pure: importing them loads neither Flask nor the database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEP_MODULES = ["wms.scanning", "wms.picking.pick_steps", "wms.picking.sort_steps", "wms.locations.inbound_steps",
                "wms.locations.replenish_steps", "wms.locations.count_steps",
                "wms.shipping.pack_steps", "wms.shipping.scale"]


@pytest.mark.parametrize("module", STEP_MODULES)
def test_a_step_module_imports_neither_flask_nor_the_database(module):
    probe = (f"import sys, {module}; loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
             "('flask', 'flask_babel', 'flask_login', 'sqlalchemy') or m in ('erp_core.extensions', 'erp_core.db'));"
             " print(','.join(loaded))")
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "", f"{module} loads {found.stdout.strip()}"
