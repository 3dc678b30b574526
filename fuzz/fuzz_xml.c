/* fuzz_xml.c - XML JTL reader (parsers/jtl_xml.c through jtl_open/jtl_next). */
#include <string.h>

#include "fuzz/fuzz_jtl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_jtl(data, size, INPUT_FMT_XML);
}
