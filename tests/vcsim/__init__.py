"""vcsim: a Junos EX Virtual Chassis stand-in that real PyEZ/ncclient talk to over SSH on loopback.

See docs/simulator.md. Public API: Simulator, SimulatedVC (from Simulator.vc), make_image,
FAULT_KINDS, SpecError, FaultError.
"""

from .faults import FAULT_KINDS, FaultError
from .images import image_name, inspect_image, make_image
from .simulator import Simulator
from .spec import SpecError, load_spec
from .vc import SimulatedVC

__all__ = ["FAULT_KINDS", "FaultError", "SimulatedVC", "Simulator", "SpecError", "image_name", "inspect_image", "load_spec", "make_image"]
