/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *	  The differences between the PostgreSQL and OpenSSL versions jwt_auth
 *	  builds against, in one place.
 *
 * PostgreSQL 15 is the oldest supported (MarkGUCPrefixReserved() and
 * pg_strong_random() as used here), OpenSSL 3.0 the oldest OpenSSL (the
 * EVP_PKEY parameter interfaces).  Tested on 15; 16 to 18 are expected to
 * work from their sources (docs/faq.md).
 *
 * src/pg_compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_PG_COMPAT_H
#define JWT_AUTH_PG_COMPAT_H

#include <openssl/opensslv.h>

#if PG_VERSION_NUM < 150000
#error "jwt_auth needs PostgreSQL 15 or later"
#endif

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "jwt_auth needs OpenSSL 3.0 or later"
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
