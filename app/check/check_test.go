package check_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// Both front ends run their tests through Prepared.Run and report a
// stopped login through Failed: both results carry the environment, so
// the saved and copied reports say when and where without any work in
// the front ends.
func TestResultsCarryTheEnvironment(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	mgr := token.NewManager(token.Options{})
	defer mgr.Close()
	inv := mgr.Scan(token.Discover(token.DiscoverOptions{Explicit: []string{rig.Module}}))
	cert := testrig.Cert(t, inv, testrig.EC256)
	before := time.Now().Truncate(time.Second)
	card, err := check.Login(cert, token.LoginOptions{PIN: testrig.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	roots, err := probe.LoadRoots(rig.ChainFile)
	if err != nil {
		t.Fatal(err)
	}
	res := card.Run(context.Background(), probe.Options{URL: srv.URL, Roots: roots, Timeout: 20 * time.Second})
	if res.Verdict != probe.Accepted {
		t.Fatalf("verdict %s: %s", res.Verdict, res.Summary)
	}
	checkEnvironment(t, res.Environment, cert.Token, before)

	failed := check.Failed(srv.URL, cert, &token.Error{Kind: token.KindPINIncorrect, Op: "login", Msg: "The PIN is wrong."})
	checkEnvironment(t, failed.Environment, cert.Token, before)
	if none := check.Failed(srv.URL, nil, &token.Error{Kind: token.KindTokenNotFound}); none.Environment == nil ||
		none.Environment.Module != nil || none.Environment.Token != nil || none.Environment.OS != runtime.GOOS {
		t.Errorf("without a certificate: %+v", none.Environment)
	}
}

func checkEnvironment(t *testing.T, env *environment.Environment, tok *token.Token, notBefore time.Time) {
	t.Helper()
	if env == nil || env.Module == nil || env.Token == nil {
		t.Fatalf("environment %+v", env)
	}
	at, err := time.Parse(time.RFC3339, env.Time)
	if err != nil || at.Before(notBefore) || at.After(time.Now()) {
		t.Errorf("time %q (%v), want between %v and now", env.Time, err, notBefore)
	}
	if env.CardcheckVersion != config.VersionString() || env.OS != runtime.GOOS || env.Arch != runtime.GOARCH {
		t.Errorf("host %+v", env.Host)
	}
	m := tok.Module
	if *env.Module != (environment.Module{Path: m.Path, Description: m.Info.Description, Manufacturer: m.Info.Manufacturer,
		LibraryVersion: m.Info.LibraryVersion, CryptokiVersion: m.Info.CryptokiVersion}) || env.Module.LibraryVersion == "" {
		t.Errorf("module %+v", *env.Module)
	}
	if env.Token.Label != testrig.MainToken || env.Token.Serial != tok.Serial || env.Token.Serial == "" ||
		env.Token.Model != tok.Model || env.Token.FirmwareVersion != tok.FirmwareVersion || env.Token.FirmwareVersion == "" {
		t.Errorf("token %+v", *env.Token)
	}
}
