"""Public: read and write instance files (a network, its data X and cost gradient G) from Python.

The format and its checks live in :mod:`certify.core.instances`; this module is the stable name users
import, as the README shows::

    from certify.instances import Instance, save_instance
"""

from certify.core.instances import Instance, load_data, load_instance, save_instance, validate

__all__ = ["Instance", "load_data", "load_instance", "save_instance", "validate"]
