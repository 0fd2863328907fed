"""Junos RPC handlers: one function per RPC name, taking (context, request element).

A handler returns the reply content (an element, a list of elements, or None for an empty
reply) or raises RpcFailure for an <rpc-error>. Unknown RPCs get "syntax error" with the RPC
name as bad-element, which is what Junos answers and what PyEZ looks for.
"""

from . import cli, configuration, files, software, storage, system, virtual_chassis
from ..xmlreply import RpcFailure
from .common import SessionGone  # noqa: F401  (netconf.py catches rpc.SessionGone)


class RpcContext:
    def __init__(self, vc, session):
        self.vc = vc
        self.session = session

    def sleep(self, sim_seconds):
        """Spend simulated time inside an RPC (installs, commits); aborts if the session is dropped."""
        if sim_seconds > 0 and not self.vc.clock.sleep(sim_seconds, cancel=self.session.closed):
            raise SessionGone()

    def dispatch(self, request):
        return dispatch(self, request)


HANDLERS = {}
for _module in (system, files, virtual_chassis, software, storage, configuration, cli):
    HANDLERS.update(_module.HANDLERS)


def dispatch(context, request):
    """Reply content for one request element, as a list of elements."""
    handler = HANDLERS.get(request.tag)
    if handler is None:
        raise RpcFailure("syntax error", bad_element=request.tag)
    result = handler(context, request)
    if result is None:
        return []
    return result if isinstance(result, list) else [result]
