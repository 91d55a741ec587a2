#ifndef HERALD_CZOOKEEPER_SHIM_H
#define HERALD_CZOOKEEPER_SHIM_H

// The multi-threaded client's synchronous API and its thread-safe declarations are only
// visible with THREADED defined before the include (Debian ships no pkg-config file to say so).
#ifndef THREADED
#define THREADED 1
#endif
#include <zookeeper/zookeeper.h>

// The predefined ACL lists are mutable globals in the C headers; Swift 6 refuses to touch
// them directly, so they are read through these accessors only.
static inline const struct ACL_vector *herald_zoo_open_acl_unsafe(void) {
    return &ZOO_OPEN_ACL_UNSAFE;
}
static inline const struct ACL_vector *herald_zoo_read_acl_unsafe(void) {
    return &ZOO_READ_ACL_UNSAFE;
}
static inline const struct ACL_vector *herald_zoo_creator_all_acl(void) {
    return &ZOO_CREATOR_ALL_ACL;
}

// The watcher context and completion data are plain integers (registry tokens), never
// pointers to Swift objects: these two helpers make the conversion explicit.
static inline const void *herald_token_to_context(unsigned long token) {
    return (const void *)token;
}
static inline unsigned long herald_context_to_token(const void *context) {
    return (unsigned long)context;
}

#endif
