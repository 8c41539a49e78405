// Package pivemu is a PIV smart card of the project's own, for tests that
// must go through a real card stack: pcscd, vsmartcard's vpcd reader
// driver, OpenSC's PIV driver and its PKCS#11 module.
//
// A Card answers the subset of SP 800-73-4 that OpenSC uses: SELECT of the
// PIV application, GET DATA for the CHUID, the Card Capability Container,
// the Discovery Object, the key history and the certificates of slots 9A,
// 9C, 9D, 9E; VERIFY with a retry counter (63Cx, 6983 when blocked, an
// empty VERIFY returns the tries left, P1 = FF logs out); GENERAL
// AUTHENTICATE signing with RSA-1024/2048 (raw) and ECDSA P-256/P-384;
// command chaining and GET RESPONSE (61xx) for long answers. Slot 9C is
// "PIN Always": each signature needs its own VERIFY.
//
// A Reader connects a Card to vpcd over TCP (Insert) and disconnects it
// (Remove), which the driver sees as the card pulled out. The card keeps a
// log of the commands it saw and counters (Stats): tests assert, e.g.,
// that a wrong PIN cost exactly one VERIFY. Neither holds command data, so
// the PIN never reaches a log.
//
// The card-stack helper that starts pcscd with vpcd for tests is package
// build/cardstack.
package pivemu
