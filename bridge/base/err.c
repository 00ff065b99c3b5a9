/* Short phrases for the BRIDGE_E* codes, for messages such as
 * "reading the event stream failed: input over a configured limit". */
#include "bridge/base/err.h"

const char *bridge_strerror(int err)
{
    switch (err) {
    case BRIDGE_OK:
        return "success";
    case BRIDGE_ENOMEM:
        return "out of memory";
    case BRIDGE_EINVAL:
        return "malformed input";
    case BRIDGE_ETOOBIG:
        return "input over a configured limit";
    case BRIDGE_EUNSET:
        return "environment variable not set";
    case BRIDGE_EIO:
        return "input/output error";
    case BRIDGE_EHTTP:
        return "the remote answered with an HTTP error";
    case BRIDGE_ECONNECT:
        return "the remote could not be reached";
    case BRIDGE_ETIMEOUT:
        return "timed out";
    case BRIDGE_ECLOSED:
        return "the bridge is shutting down";
    case BRIDGE_EPROTO:
        return "the remote broke the protocol";
    }
    return "unknown error";
}
