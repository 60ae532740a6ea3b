// Package pgserver runs a local PostgreSQL cluster from the system's binaries:
// the development stack keeps one under .data/pg, and tests start a throwaway one.
// initdb and postgres refuse to run as root, so when we are root both run as the
// "postgres" user.
package pgserver
