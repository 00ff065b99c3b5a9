/* Error codes shared by the bridge modules: every fallible call returns 0 or
 * one of these negative values; bridge_strerror() turns one into a phrase. */
#ifndef MCP_BRIDGE_ERR_H
#define MCP_BRIDGE_ERR_H

enum {
    BRIDGE_OK = 0,
    BRIDGE_ENOMEM = -1,   /* out of memory */
    BRIDGE_EINVAL = -2,   /* malformed input */
    BRIDGE_ETOOBIG = -3,  /* input over a configured limit */
    BRIDGE_EUNSET = -4,   /* ${VAR} names an unset environment variable */
    BRIDGE_EIO = -5,      /* reading or writing a file or stream failed */
    BRIDGE_EHTTP = -6,    /* the remote answered with an HTTP error */
    BRIDGE_ECONNECT = -7, /* the remote could not be reached */
    BRIDGE_ETIMEOUT = -8, /* a time limit expired */
    BRIDGE_ECLOSED = -9,  /* the bridge is shutting down */
    BRIDGE_EPROTO = -10,  /* the remote broke the protocol */
};

const char *bridge_strerror(int err);

#endif
