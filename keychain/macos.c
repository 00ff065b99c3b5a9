/* The macOS Keychain through the Security framework: generic passwords with
 * service "mcp-bridge" and the item name as account. Built only on macOS. */
#include "bridge/base/err.h"
#include "keychain/backend.h"

#include <CoreFoundation/CoreFoundation.h>
#include <Security/Security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CFStringRef cfstr(const char *s)
{
    return CFStringCreateWithCString(NULL, s, kCFStringEncodingUTF8);
}

static CFMutableDictionaryRef query_for(const char *name)
{
    CFMutableDictionaryRef q = CFDictionaryCreateMutable(NULL, 0, &kCFTypeDictionaryKeyCallBacks,
                                                         &kCFTypeDictionaryValueCallBacks);
    CFStringRef service = cfstr("mcp-bridge");
    CFDictionarySetValue(q, kSecClass, kSecClassGenericPassword);
    CFDictionarySetValue(q, kSecAttrService, service);
    CFRelease(service);
    if (name) {
        CFStringRef account = cfstr(name);
        CFDictionarySetValue(q, kSecAttrAccount, account);
        CFRelease(account);
    }
    return q;
}

static const char *mac_where(void *st)
{
    return "the macOS Keychain";
}

static int mac_get(void *st, const char *name, char **secret)
{
    CFMutableDictionaryRef q = query_for(name);
    CFDictionarySetValue(q, kSecReturnData, kCFBooleanTrue);
    CFTypeRef data = NULL;
    OSStatus s = SecItemCopyMatching(q, &data);
    CFRelease(q);
    if (s == errSecItemNotFound) return BRIDGE_EINVAL;
    if (s != errSecSuccess || !data) return BRIDGE_EIO;
    CFIndex len = CFDataGetLength(data);
    *secret = malloc((size_t)len + 1);
    if (*secret) {
        memcpy(*secret, CFDataGetBytePtr(data), (size_t)len);
        (*secret)[len] = 0;
    }
    CFRelease(data);
    return *secret ? 0 : BRIDGE_ENOMEM;
}

static int mac_del(void *st, const char *name)
{
    CFMutableDictionaryRef q = query_for(name);
    OSStatus s = SecItemDelete(q);
    CFRelease(q);
    return (s == errSecSuccess || s == errSecItemNotFound) ? 0 : BRIDGE_EIO;
}

static int mac_put(void *st, const char *name, const char *label, const char *kind,
                   const char *subject, const char *secret)
{
    mac_del(st, name);
    CFMutableDictionaryRef q = query_for(name);
    CFDataRef data = CFDataCreate(NULL, (const UInt8 *)secret, (CFIndex)strlen(secret));
    CFStringRef lbl = cfstr(label ? label : name);
    CFDictionarySetValue(q, kSecValueData, data);
    CFDictionarySetValue(q, kSecAttrLabel, lbl);
    OSStatus s = SecItemAdd(q, NULL);
    CFRelease(data);
    CFRelease(lbl);
    CFRelease(q);
    return s == errSecSuccess ? 0 : BRIDGE_EIO;
}

static int mac_list(void *st, char ***names, size_t *n)
{
    CFMutableDictionaryRef q = query_for(NULL);
    CFDictionarySetValue(q, kSecReturnAttributes, kCFBooleanTrue);
    CFDictionarySetValue(q, kSecMatchLimit, kSecMatchLimitAll);
    CFArrayRef items = NULL;
    OSStatus s = SecItemCopyMatching(q, (CFTypeRef *)&items);
    CFRelease(q);
    if (s == errSecItemNotFound) return 0;
    if (s != errSecSuccess) return BRIDGE_EIO;
    int rc = 0;
    for (CFIndex i = 0; i < CFArrayGetCount(items) && !rc; i++) {
        CFDictionaryRef attrs = CFArrayGetValueAtIndex(items, i);
        CFStringRef account = CFDictionaryGetValue(attrs, kSecAttrAccount);
        char buf[160];
        if (account && CFStringGetCString(account, buf, sizeof buf, kCFStringEncodingUTF8) &&
            keychain_name_valid(buf))
            rc = keychain_list_push(names, n, buf);
    }
    CFRelease(items);
    return rc;
}

static void mac_close(void *st) {}

static const keychain_backend_ops_t mac_ops = {mac_where, mac_get,  mac_put,
                                               mac_del,   mac_list, mac_close};

int keychain_os_open(const keychain_backend_ops_t **ops, void **st, char *why, size_t whylen)
{
    *ops = &mac_ops;
    *st = NULL;
    return 0;
}
