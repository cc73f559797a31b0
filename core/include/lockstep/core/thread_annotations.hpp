#pragma once
// Clang thread-safety analysis attributes (-Wthread-safety); empty on GCC.

#if defined(__clang__)
#define LOCKSTEP_TSA(x) __attribute__((x))
#else
#define LOCKSTEP_TSA(x)
#endif

#define LOCKSTEP_CAPABILITY(name) LOCKSTEP_TSA(capability(name))
#define LOCKSTEP_SCOPED_CAPABILITY LOCKSTEP_TSA(scoped_lockable)
#define LOCKSTEP_GUARDED_BY(lock) LOCKSTEP_TSA(guarded_by(lock))
#define LOCKSTEP_ACQUIRE(...) LOCKSTEP_TSA(acquire_capability(__VA_ARGS__))
#define LOCKSTEP_RELEASE(...) LOCKSTEP_TSA(release_capability(__VA_ARGS__))
#define LOCKSTEP_TRY_ACQUIRE(...) LOCKSTEP_TSA(try_acquire_capability(__VA_ARGS__))
#define LOCKSTEP_REQUIRES(...) LOCKSTEP_TSA(requires_capability(__VA_ARGS__))
#define LOCKSTEP_NO_TSA LOCKSTEP_TSA(no_thread_safety_analysis)
#define LOCKSTEP_RETURN_CAPABILITY(x) LOCKSTEP_TSA(lock_returned(x))
