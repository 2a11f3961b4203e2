// glibc heap statistics (mallinfo2), for the runtime benchmark's memory figures.
#include <malloc.h>
