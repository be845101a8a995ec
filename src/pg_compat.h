/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *	  The differences between the PostgreSQL and OpenSSL versions jwt_auth
 *	  builds against, in one place.
 *
 * PostgreSQL 15 is the oldest supported (MarkGUCPrefixReserved() and
 * pg_strong_random() as used here), OpenSSL 3.0 the oldest OpenSSL (the
 * EVP_PKEY parameter interfaces).  Tested on 15, 16, 17 and 18 (the
 * versions suite, test/versions.sh).  Include it after postgres.h, and
 * before PG_FUNCTION_INFO_V1 in a file that defines SQL functions.
 *
 * src/pg_compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_PG_COMPAT_H
#define JWT_AUTH_PG_COMPAT_H

#include <openssl/opensslv.h>

#include "fmgr.h"
#include "utils/guc.h"

#if PG_VERSION_NUM < 150000
#error "jwt_auth needs PostgreSQL 15 or later"
#endif

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "jwt_auth needs OpenSSL 3.0 or later"
#endif

/* PostgreSQL 16 moved VARDATA_ANY(), VARSIZE_ANY_EXHDR() and friends to varatt.h. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * The library is built with hidden visibility (Makefile), so that only its
 * entry points are exported: _PG_init(), the module magic and the SQL
 * functions with their info records.  PostgreSQL 16 marks all of these
 * PGDLLEXPORT, which means default visibility; 15 defines PGDLLEXPORT as
 * nothing and marks only the info record, so here it means default
 * visibility too, and PG_FUNCTION_INFO_V1 declares the function itself with
 * it, as 16 does.
 */
#if PG_VERSION_NUM < 160000
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#undef PG_FUNCTION_INFO_V1
#define PG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
extern PGDLLEXPORT const Pg_finfo_record *CppConcat(pg_finfo_, funcname)(void); \
const Pg_finfo_record * \
CppConcat(pg_finfo_, funcname)(void) \
{ \
	static const Pg_finfo_record info = {1}; \
	return &info; \
} \
extern int no_such_variable
#endif

/*
 * A GUC check hook's "extra": PostgreSQL 15 releases it with free(), 16 and
 * later with guc_free(), a pfree() in the GUC machinery's memory context, so
 * it must come from guc_malloc() there (malloc()ed memory makes the next
 * commit PANIC).  On failure both return NULL after logging at "elevel".
 */
#if PG_VERSION_NUM >= 160000
#define compat_guc_malloc(size) guc_malloc(LOG, (size))
#define compat_guc_strdup(str) guc_strdup(LOG, (str))
#define compat_guc_free(ptr) guc_free(ptr)
#else
#define compat_guc_malloc(size) malloc(size)
#define compat_guc_strdup(str) strdup(str)
#define compat_guc_free(ptr) free(ptr)
#endif

/* PostgreSQL 18 added an instrumentation argument to index_beginscan(). */
#if PG_VERSION_NUM >= 180000
#define compat_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan(heap, index, snapshot, NULL, nkeys, norderbys)
#else
#define compat_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan(heap, index, snapshot, nkeys, norderbys)
#endif

/* PostgreSQL 18 added deferrable_ok to RelationGetPrimaryKeyIndex(). */
#if PG_VERSION_NUM >= 180000
#define compat_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel, false)
#else
#define compat_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

/* PostgreSQL 18 dropped the execute_once argument of ExecutorRun(). */
#if PG_VERSION_NUM >= 180000
#define COMPAT_EXECUTE_ONCE_PARAM
#define COMPAT_EXECUTE_ONCE_ARG
#else
#define COMPAT_EXECUTE_ONCE_PARAM , bool execute_once
#define COMPAT_EXECUTE_ONCE_ARG , execute_once
#endif

/* PostgreSQL 17 moved the local transaction id into PGPROC.vxid. */
#if PG_VERSION_NUM >= 170000
#define compat_my_lxid() (MyProc->vxid.lxid)
#else
#define compat_my_lxid() (MyProc->lxid)
#endif

/*
 * PostgreSQL 18 marks a function that does not return with pg_noreturn, in
 * front of the declaration; older releases have pg_attribute_noreturn().
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

#endif							/* JWT_AUTH_PG_COMPAT_H */
