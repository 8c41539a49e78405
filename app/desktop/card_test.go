package desktop

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/errkind"
	"github.com/cardcheck/cardcheck/token"
)

// A CA file that cannot be read is the user's setting, not the card: the
// result says so with kind certificate, and no token error is involved.
func TestCAFileErrorIsNotATokenError(t *testing.T) {
	o := Options{URL: "https://127.0.0.1:1/", CAFile: "/no/such/ca.pem"}
	_, err := o.probeOptions()
	var ce *CAFileError
	if !errors.As(err, &ce) || token.KindOf(err) != "" || errkind.Of(err) != errkind.Certificate {
		t.Fatalf("error %T %v", err, err)
	}
	pf := preflight(context.Background(), nil, o)
	res := pf.Result
	if res == nil || res.Error == nil || res.Error.Kind != errkind.Certificate ||
		!strings.HasPrefix(res.Error.Message, "The CA file cannot be used: ") || !strings.Contains(pf.Summary, "/no/such/ca.pem") {
		t.Fatalf("pre-flight %+v, result %+v", pf, res)
	}
}
