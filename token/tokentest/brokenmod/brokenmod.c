/*
 * A PKCS#11 module that misbehaves on purpose, for cardcheck's tests of
 * module isolation (issue 10). One variant per build, chosen with -D:
 *
 *   NULL_LIST      C_GetFunctionList answers CKR_OK with a NULL list
 *   NULL_INIT      the list's C_Initialize pointer is NULL
 *   CRASH_INIT     C_Initialize writes through a NULL pointer (SIGSEGV)
 *   HANG_SLOTLIST  C_GetSlotList never returns
 *   SLOW_SLOTLIST  C_GetSlotList takes 20 s
 *   NONSENSE       C_GetSlotList claims 2^40 slots
 *   (none)         a well-behaved module with one slot and no token
 *
 * With BROKENMOD_ARM=FILE in the environment, the fault of the slot-list
 * variants happens only while FILE exists: the module passes a vetting in
 * a child process and misbehaves later, in the process that loaded it.
 *
 * Declarations are written out here (PKCS#11 v2.40 layout, LP64, natural
 * alignment as on Linux) so that the file needs no header.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef unsigned long ck_ulong;
typedef ck_ulong ck_rv;
typedef struct { unsigned char major, minor; } ck_version;
typedef struct {
	ck_version cryptoki;
	unsigned char manufacturer[32];
	ck_ulong flags;
	unsigned char description[32];
	ck_version library;
} ck_info;
typedef struct {
	unsigned char description[64];
	unsigned char manufacturer[32];
	ck_ulong flags;
	ck_version hardware, firmware;
} ck_slot_info;
typedef struct {
	unsigned char label[32], manufacturer[32], model[16], serial[16];
	ck_ulong flags, max_sessions, sessions, max_rw_sessions, rw_sessions,
		max_pin, min_pin, total_public, free_public, total_private, free_private;
	ck_version hardware, firmware;
	unsigned char utc_time[16];
} ck_token_info;
typedef struct {
	ck_version version;
	void *fn[68];
} ck_function_list;

#define CKR_OK 0UL
#define CKR_ARGUMENTS_BAD 7UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x54UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKF_REMOVABLE_DEVICE 2UL
#define CKF_TOKEN_PRESENT 1UL

static void pad(unsigned char *dst, size_t n, const char *s)
{
	size_t l = strlen(s);
	memset(dst, ' ', n);
	memcpy(dst, s, l < n ? l : n);
}

/* armed: the fault applies (always, unless BROKENMOD_ARM names a file). */
static int armed(void)
{
	const char *f = getenv("BROKENMOD_ARM");
	return f == NULL || access(f, F_OK) == 0;
}

static ck_rv unsupported(void) { return CKR_FUNCTION_NOT_SUPPORTED; }

static ck_rv c_initialize(void *args)
{
	(void)args;
#ifdef CRASH_INIT
	*(volatile int *)0 = 1;
#endif
	return CKR_OK;
}

static ck_rv c_finalize(void *r) { (void)r; return CKR_OK; }

static ck_rv c_get_info(ck_info *info)
{
	if (!info)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof *info);
	info->cryptoki.major = 2;
	info->cryptoki.minor = 40;
	pad(info->manufacturer, 32, "cardcheck tests");
	pad(info->description, 32, "broken test module");
	info->library.major = 1;
	return CKR_OK;
}

static ck_rv c_get_slot_list(unsigned char present, ck_ulong *list, ck_ulong *count)
{
	(void)present;
	if (!count)
		return CKR_ARGUMENTS_BAD;
	if (armed()) {
#ifdef HANG_SLOTLIST
		for (;;)
			pause();
#endif
#ifdef SLOW_SLOTLIST
		sleep(20);
#endif
#ifdef NONSENSE
		if (list)
			return CKR_BUFFER_TOO_SMALL;
		*count = 1UL << 40;
		return CKR_OK;
#endif
	}
	if (list) {
		if (*count < 1)
			return CKR_BUFFER_TOO_SMALL;
		list[0] = 1;
	}
	*count = 1;
	return CKR_OK;
}

static ck_rv c_get_slot_info(ck_ulong slot, ck_slot_info *info)
{
	if (!info || slot != 1)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof *info);
	pad(info->description, 64, "broken test reader");
	pad(info->manufacturer, 32, "cardcheck tests");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_TOKEN_PRESENT;
	return CKR_OK;
}

/* The token is not initialized: listed as a slot, never as a token. */
static ck_rv c_get_token_info(ck_ulong slot, ck_token_info *info)
{
	if (!info || slot != 1)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof *info);
	pad(info->label, 32, "");
	pad(info->manufacturer, 32, "cardcheck tests");
	pad(info->model, 16, "broken");
	pad(info->serial, 16, "0");
	return CKR_OK;
}

static ck_function_list list;

ck_rv C_GetFunctionList(ck_function_list **out)
{
	int i;
	if (!out)
		return CKR_ARGUMENTS_BAD;
#ifdef NULL_LIST
	*out = NULL;
	return CKR_OK;
#endif
	list.version.major = 2;
	list.version.minor = 40;
	for (i = 0; i < 68; i++)
		list.fn[i] = (void *)unsupported;
	list.fn[0] = (void *)c_initialize;
	list.fn[1] = (void *)c_finalize;
	list.fn[2] = (void *)c_get_info;
	list.fn[3] = (void *)C_GetFunctionList;
	list.fn[4] = (void *)c_get_slot_list;
	list.fn[5] = (void *)c_get_slot_info;
	list.fn[6] = (void *)c_get_token_info;
#ifdef NULL_INIT
	list.fn[0] = NULL;
#endif
	*out = &list;
	return CKR_OK;
}
