/**
 * Event types that a per-type cache keeps. Types come from the wire too (whoever can send to a
 * queue can make new ones up), so past this many, what a cache would hold is worked out per event
 * and not kept: memory stays bounded whatever arrives.
 */
export const MAX_CACHED_TYPES = 512;
