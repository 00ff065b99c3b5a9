/* RFC 9110 §5.6.2 tokens: the characters of a header name, an auth scheme or
 * parameter name (WWW-Authenticate), a DPoP-Nonce. One definition for every
 * parser that checks them. */
#ifndef MCP_BRIDGE_TOKEN_H
#define MCP_BRIDGE_TOKEN_H

#include <string.h>

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static inline int http_is_tchar(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

#endif
