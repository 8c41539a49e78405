package cli

import (
	"context"
	"os"
	"os/signal"

	"github.com/cardcheck/cardcheck/app/diagnose"
)

func diagnoseCmd(args []string, io IO) exitCode {
	fs := newFlags("diagnose")
	var modules listFlag
	fs.Var(&modules, "module", "PKCS#11 module `PATH` (repeatable; default: discover)")
	asJSON := fs.Bool("json", false, "print JSON")
	full := fs.Bool("full", false, "show names, e-mail addresses and serial numbers (default: replaced by placeholders)")
	if err := parse(fs, args); err != nil {
		return exitCode{ExitUsage, err}
	}
	if err := checkModules(modules); err != nil {
		return exitCode{ExitUsage, err}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	mgr := newManager(0) // isolated modules; diagnose.Run would load them here unvetted
	defer mgr.Close()
	inv := mgr.Scan(discover(modules))
	r := diagnose.Run(ctx, diagnose.Options{Modules: modules, Inventory: inv})
	var err error
	if *asJSON {
		err = r.WriteJSON(io.jsonOut(), !*full)
	} else {
		err = r.WriteText(io.Stdout, !*full)
	}
	if err != nil {
		return exitCode{ExitFail, err}
	}
	return exitCode{}
}
