"""What the simulator knows about EX hardware: package families, VCP ports, inventory text.

Kept in one place because parts of it are guesses (docs/simulator.md says which).
"""

import re

_MODEL = re.compile(r"^([a-z]+)(\d+)")

# QSFP+ uplinks on PIC 1 are the default-configured VCPs of these families ([doc] seed, Figure 1).
_DEFAULT_VCP_PIC = {"ex-4300": "1", "ex-4600": "2", "ex-3400": "1", "ex-2300": "1"}
_PORT_SPEED = {"ex-4300": 40000, "ex-4600": 40000, "ex-3400": 40000, "ex-2300": 10000}
_PIC0 = {"ex-4300": "48x 10/100/1000 Base-T", "ex-2300": "24x 10/100/1000 Base-T", "ex-3400": "48x 10/100/1000 Base-T"}


def family_of(model):
    """Package platform family of a model: ex4300-48p -> ex-4300 (the infix of jinstall-ex-4300-*.tgz)."""
    match = _MODEL.match(model.lower())
    return "%s-%s" % (match.group(1), match.group(2)) if match else model.lower()


def vcp_port_type(model, port_name):
    """Dedicated (vcp-N), Default (factory-default VCP uplink) or Configured ([guess] element values)."""
    if re.match(r"^vcp-\d+$", port_name):
        return "Dedicated"
    match = re.match(r"^vcp-255/(\d+)/\d+$", port_name)
    if match and _DEFAULT_VCP_PIC.get(family_of(model)) == match.group(1):
        return "Default"
    return "Configured"


def vcp_port_speed(model, port_name):
    if re.match(r"^vcp-\d+$", port_name):
        return 32000   # dedicated VCP cables (EX4200/EX4550)
    return _PORT_SPEED.get(family_of(model), 10000)


def pic_descriptions(model):
    """(PIC name, description) pairs for get-chassis-inventory."""
    family = family_of(model)
    return [
        ("PIC 0", _PIC0.get(family, "48x 10/100/1000 Base-T")),
        ("PIC 1", "4x 40GE QSFP+" if _PORT_SPEED.get(family) == 40000 else "4x 10GE SFP+"),
    ]
