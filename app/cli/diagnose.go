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
	r := diagnose.Run(ctx, diagnose.Options{Modules: modules})
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
