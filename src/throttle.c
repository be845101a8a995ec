/*-------------------------------------------------------------------------
 *
 * throttle.c
 *	  Throttling of failed sign-ins, per email, in shared memory.
 *
 * auth.signin() fails with an error, which rolls back the caller's
 * transaction: a failure counter kept in a table would be undone by the
 * very failure it counts.  The counters therefore live in shared memory,
 * which needs the library in shared_preload_libraries; without it nothing
 * is throttled (README, Security).
 *
 * An attempt is counted as a failure before the password is checked, so
 * parallel attempts cannot slip past the limit; a success then forgets it.
 * The key is the SHA-256 of the email as given, normalised when it is a
 * valid address, so unknown emails are throttled exactly like real ones and
 * throttling tells nothing about which accounts exist.  After
 * jwt_auth.max_failed_signins failures within jwt_auth.signin_lockout, an
 * email is locked for 30 seconds, doubling with each further failure, at
 * most jwt_auth.signin_lockout; a success forgets it.  The table holds
 * THROTTLE_ENTRIES emails; when full, a tenth of it is forgotten, unlocked
 * emails first (evict()).
 *
 * src/throttle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include <openssl/evp.h>

#include "throttle.h"

#define THROTTLE_ENTRIES	16384
#define THROTTLE_FIRST_LOCK	30		/* seconds */

typedef struct ThrottleEntry
{
	uint64		key;			/* first 8 bytes of SHA-256(email) */
	int32		failures;
	TimestampTz last_failure;
	TimestampTz locked_until;
} ThrottleEntry;

static int	max_failed_signins = 5;
static int	signin_lockout = 900;

static HTAB *throttle_hash = NULL;
static LWLock *throttle_lock = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
throttle_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(hash_estimate_size(THROTTLE_ENTRIES, sizeof(ThrottleEntry)));
	RequestNamedLWLockTranche("jwt_auth", 1);
}

static void
throttle_shmem_startup(void)
{
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(uint64);
	info.entrysize = sizeof(ThrottleEntry);
	throttle_hash = ShmemInitHash("jwt_auth failed sign-ins",
								  THROTTLE_ENTRIES, THROTTLE_ENTRIES,
								  &info, HASH_ELEM | HASH_BLOBS);
	throttle_lock = &(GetNamedLWLockTranche("jwt_auth"))->lock;
	LWLockRelease(AddinShmemInitLock);
}

void
throttle_init(void)
{
	DefineCustomIntVariable("jwt_auth.max_failed_signins",
							"Failed sign-ins for one email before it is locked for a while.",
							"0 turns throttling off. Needs jwt_auth in shared_preload_libraries.",
							&max_failed_signins,
							5, 0, 1000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("jwt_auth.signin_lockout",
							"Longest lock of an email after failed sign-ins, and how long failures are remembered.",
							NULL,
							&signin_lockout,
							900, THROTTLE_FIRST_LOCK, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = throttle_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = throttle_shmem_startup;
}

static bool
throttle_active(void)
{
	return throttle_hash != NULL && max_failed_signins > 0;
}

static uint64
email_key(const char *email, size_t len)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64		key;

	if (!EVP_Digest(email, len, digest, &n, EVP_sha256(), NULL) || n < sizeof(key))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not hash email")));
	memcpy(&key, digest, sizeof(key));
	return key;
}

typedef struct Victim
{
	bool		locked;
	TimestampTz when;			/* locked: locked_until; else last_failure */
	uint64		key;
} Victim;

static int
victim_cmp(const void *a, const void *b)
{
	const Victim *x = a;
	const Victim *y = b;

	if (x->locked != y->locked)
		return x->locked ? 1 : -1;
	return x->when < y->when ? -1 : x->when > y->when ? 1 : 0;
}

/*
 * Make room for new emails (caller holds the lock exclusively): forget a
 * tenth of the table, unlocked emails with the oldest last failure first,
 * locked ones (soonest unlocked first) only when every email is locked.
 * Flooding the table with random emails thus cannot release a lock while
 * unlocked entries remain.
 */
static Victim *victims = NULL;	/* evict()'s work space, made before locking */

static void
evict(TimestampTz now)
{
	HASH_SEQ_STATUS scan;
	ThrottleEntry *e;
	Victim	   *v = victims;
	int			n = 0;
	int			drop;

	hash_seq_init(&scan, throttle_hash);
	while ((e = hash_seq_search(&scan)) != NULL)
	{
		if (n >= THROTTLE_ENTRIES)
		{
			hash_seq_term(&scan);
			break;
		}
		v[n].locked = e->locked_until > now;
		v[n].when = v[n].locked ? e->locked_until : e->last_failure;
		v[n].key = e->key;
		n++;
	}
	qsort(v, n, sizeof(Victim), victim_cmp);
	drop = Max(n / 10, 1);
	for (int i = 0; i < drop && i < n; i++)
		(void) hash_search(throttle_hash, &v[i].key, HASH_REMOVE, NULL);
}

/*
 * Called before the password is checked: refuse at once (28000) while the
 * email is locked; otherwise count the attempt as a failure now, before the
 * slow hash, so that parallel attempts cannot get past the limit.  A
 * success then forgets the email (throttle_success).
 */
void
throttle_attempt(const char *email, size_t len)
{
	uint64		key;
	ThrottleEntry *entry;
	bool		found;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz locked_until = 0;

	if (!throttle_active())
		return;
	key = email_key(email, len);
	if (victims == NULL)
		victims = MemoryContextAlloc(TopMemoryContext, sizeof(Victim) * THROTTLE_ENTRIES);
	LWLockAcquire(throttle_lock, LW_EXCLUSIVE);
	entry = hash_search(throttle_hash, &key, HASH_FIND, NULL);
	if (entry == NULL && hash_get_num_entries(throttle_hash) >= THROTTLE_ENTRIES)
		evict(now);
	if (entry == NULL)
		entry = hash_search(throttle_hash, &key, HASH_ENTER_NULL, &found);
	else
		found = true;
	if (entry != NULL)
	{
		if (!found)
		{
			entry->failures = 0;
			entry->locked_until = 0;
			entry->last_failure = 0;
		}
		if (entry->locked_until > now)
			locked_until = entry->locked_until;
		else
		{
			/* Failures older than the lockout are forgotten. */
			if (entry->last_failure < TimestampTzPlusMilliseconds(now, -(int64) signin_lockout * 1000))
				entry->failures = 0;
			entry->failures++;
			entry->last_failure = now;
			if (entry->failures >= max_failed_signins)
			{
				int			excess = Min(entry->failures - max_failed_signins, 20);
				int64		lock = Min((int64) THROTTLE_FIRST_LOCK << excess, (int64) signin_lockout);

				entry->locked_until = TimestampTzPlusMilliseconds(now, lock * 1000);
			}
		}
	}
	LWLockRelease(throttle_lock);

	if (locked_until > now)
	{
		long		secs;
		int			usecs;

		TimestampDifference(now, locked_until, &secs, &usecs);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("too many failed sign-in attempts"),
				 errdetail("Sign-ins for this email are locked for a while after %d failures.",
						   max_failed_signins),
				 errhint("Try again in %ld seconds.", secs + (usecs > 0 ? 1 : 0))));
	}
}

void
throttle_success(const char *email, size_t len)
{
	uint64		key;

	if (!throttle_active())
		return;
	key = email_key(email, len);
	LWLockAcquire(throttle_lock, LW_EXCLUSIVE);
	(void) hash_search(throttle_hash, &key, HASH_REMOVE, NULL);
	LWLockRelease(throttle_lock);
}
