package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

// The stable head of PJRT_Api (pjrt_c_api.h): every version starts with these fields.
typedef struct {
	size_t struct_size;
	void* extension_start;
	int major_version;
	int minor_version;
} probe_api_version;

typedef struct {
	size_t struct_size;
	void* extension_start;
	probe_api_version pjrt_api_version;
} probe_api_head;

typedef const probe_api_head* (*probe_get_api_fn)(void);

// probe_open dlopens path as go-xla v0.1.4 does (RTLD_LAZY|RTLD_LOCAL), calls GetPjrtApi and copies
// the head of the table into *out. It returns 0 on success, 1 if dlopen failed, 2 if the symbol is
// missing, 3 if GetPjrtApi returned NULL; *err holds dlerror()'s text (NULL if none). The library
// stays open: go-xla opens the same file next, and a second dlopen only counts a reference.
static int probe_open(const char* path, probe_api_head* out, const char** err) {
	*err = NULL;
	dlerror();
	void* h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		*err = dlerror();
		return 1;
	}
	dlerror();
	void* f = dlsym(h, "GetPjrtApi");
	if (f == NULL) {
		*err = dlerror();
		return 2;
	}
	const probe_api_head* api = ((probe_get_api_fn)f)();
	if (api == NULL) {
		return 3;
	}
	*out = *api;
	return 0;
}
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unsafe"
)

// The PJRT C API that go-xla v0.1.4 was built against: its pkg/pjrt/pjrt_c_api.h
// (PJRT_API_MAJOR, PJRT_API_MINOR, PJRT_Api_STRUCT_SIZE). TestHeaderConstants checks these
// against the header in the module cache.
const (
	headersMajor         = 0
	headersMinor         = 83
	headersAPIStructSize = 1000
)

// pluginInfo is what the plugin says about itself before any PJRT call is made.
type pluginInfo struct {
	Path                 string
	Major, Minor         int
	APIStructSize        int
	VersionStructSize    int
	DlopenErr, SymbolErr string
	NilAPI               bool
}

// Loaded tells whether the plugin loaded and gave an API table.
func (p pluginInfo) Loaded() bool { return p.DlopenErr == "" && p.SymbolErr == "" && !p.NilAPI }

// Compare says how the plugin's PJRT API relates to go-xla's headers.
func (p pluginInfo) Compare() string {
	switch {
	case !p.Loaded():
		return "unknown"
	case p.Major != headersMajor:
		return "major_differs"
	case p.Minor > headersMinor || p.APIStructSize > headersAPIStructSize:
		return "plugin_newer"
	case p.Minor < headersMinor || p.APIStructSize < headersAPIStructSize:
		return "plugin_older"
	}
	return "same"
}

// Line is the probe's one line about the plugin.
func (p pluginInfo) Line() string {
	switch {
	case p.DlopenErr != "":
		return fmt.Sprintf("probe pjrt plugin=%q dlopen=failed error=%q", p.Path, p.DlopenErr)
	case p.SymbolErr != "":
		return fmt.Sprintf("probe pjrt plugin=%q dlopen=ok GetPjrtApi=missing error=%q", p.Path, p.SymbolErr)
	case p.NilAPI:
		return fmt.Sprintf("probe pjrt plugin=%q dlopen=ok GetPjrtApi=returned_null", p.Path)
	}
	return fmt.Sprintf("probe pjrt plugin=%q dlopen=ok plugin_api=%d.%d headers_api=%d.%d plugin_api_struct_size=%d headers_api_struct_size=%d compare=%s",
		p.Path, p.Major, p.Minor, headersMajor, headersMinor, p.APIStructSize, headersAPIStructSize, p.Compare())
}

// Versions is "plugin_api=X.Y headers_api=0.83", for verdict lines.
func (p pluginInfo) Versions() string {
	if !p.Loaded() {
		return fmt.Sprintf("plugin_api=unknown headers_api=%d.%d", headersMajor, headersMinor)
	}
	return fmt.Sprintf("plugin_api=%d.%d headers_api=%d.%d", p.Major, p.Minor, headersMajor, headersMinor)
}

// inspectPlugin opens the plugin at path with dlopen and reads its PJRT version, so that a
// failure shows dlerror()'s own message (go-xla v0.1.4's search dereferences a nil handle
// when dlopen fails) and a version newer than go-xla's headers is named before any call.
func inspectPlugin(path string) pluginInfo {
	info := pluginInfo{Path: path}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var head C.probe_api_head
	var cerr *C.char
	rc := C.probe_open(cpath, &head, &cerr)
	msg := ""
	if cerr != nil {
		msg = C.GoString(cerr)
	}
	switch rc {
	case 1:
		info.DlopenErr = orUnknown(msg)
	case 2:
		info.SymbolErr = orUnknown(msg)
	case 3:
		info.NilAPI = true
	default:
		info.APIStructSize = int(head.struct_size)
		info.VersionStructSize = int(head.pjrt_api_version.struct_size)
		info.Major = int(head.pjrt_api_version.major_version)
		info.Minor = int(head.pjrt_api_version.minor_version)
	}
	return info
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown error"
	}
	return s
}

// pluginPath returns the plugin the backend configuration will load, "" if it names none that
// exists: an absolute path in "xla:/path[,options]", else pjrt_c_api_<name>_plugin.so in the
// folders of PJRT_PLUGIN_LIBRARY_PATH.
func pluginPath(config string) string {
	name, rest, ok := strings.Cut(config, ":")
	if !ok || name != "xla" {
		return ""
	}
	plugin, _, _ := strings.Cut(rest, ",")
	if filepath.IsAbs(plugin) {
		return plugin
	}
	if plugin == "" {
		return ""
	}
	for _, dir := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		for _, pattern := range []string{"pjrt_c_api_%s_plugin.so", "pjrt-plugin-%s.so", "pjrt_plugin_%s.so"} {
			p := filepath.Join(dir, fmt.Sprintf(pattern, plugin))
			if _, err := os.Stat(p); err == nil && dir != "" {
				return p
			}
		}
	}
	return ""
}

// structSizeRe matches PJRT's own words for a struct of the wrong size ("Unexpected
// PJRT_Client_Create_Args size: expected 88, got 80. Check installed software versions.").
var structSizeRe = regexp.MustCompile(`(?i)(struct[ _]?size|size: expected|unexpected \S+ size|check installed software versions)`)

// isStructSizeError tells whether an error message is a PJRT struct-size mismatch.
func isStructSizeError(msg string) bool { return structSizeRe.MatchString(msg) }
