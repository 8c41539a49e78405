package errkind

import (
	"errors"
	"fmt"
	"testing"
)

type carrier struct{ k Kind }

func (c carrier) Error() string   { return "carrier" }
func (c carrier) ErrorKind() Kind { return c.k }

func TestOf(t *testing.T) {
	cases := []struct {
		err  error
		want Kind
	}{
		{nil, ""},
		{errors.New("plain"), ""},
		{PINLocked, PINLocked},
		{fmt.Errorf("login: %w", carrier{Network}), Network},
		{fmt.Errorf("wrapped: %w", Timeout), Timeout},
	}
	for _, tc := range cases {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("Of(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestEndsSession(t *testing.T) {
	for k, want := range map[Kind]bool{TokenRemoved: true, TokenNotFound: true, PINIncorrect: true, PINLocked: true,
		PINRequired: false, Network: false, Canceled: false, "": false} {
		if k.EndsSession() != want {
			t.Errorf("%q.EndsSession() = %v", k, !want)
		}
	}
}
