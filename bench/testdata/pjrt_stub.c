// A stand-in for a PJRT plugin, for tests and bench/gpu-check.sh's rehearsal: it exports
// GetPjrtApi, whose table has the PJRT_Api head (struct_size, extension_start,
// pjrt_api_version) and no functions. Build it with, e.g.,
//   gcc -shared -fPIC -DSTUB_MINOR=95 -DSTUB_FUNCS=145 -o xla_cuda_plugin.so pjrt_stub.c
// to pose as a plugin built from PJRT headers 0.95 with a 1,200-byte PJRT_Api.
// Never call a PJRT function through it: they are all NULL.
#include <stddef.h>

#ifndef STUB_MINOR
#define STUB_MINOR 95
#endif
#ifndef STUB_FUNCS
#define STUB_FUNCS 145
#endif

typedef struct {
	size_t struct_size;
	void* extension_start;
	int major_version;
	int minor_version;
} stub_api_version;

typedef struct {
	size_t struct_size;
	void* extension_start;
	stub_api_version pjrt_api_version;
	void* functions[STUB_FUNCS];
} stub_api;

static stub_api api;

const stub_api* GetPjrtApi(void) {
	api.struct_size = sizeof(stub_api);
	api.pjrt_api_version.struct_size = sizeof(stub_api_version);
	api.pjrt_api_version.major_version = 0;
	api.pjrt_api_version.minor_version = STUB_MINOR;
	return &api;
}
