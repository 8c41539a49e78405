package diagnose

import (
	"fmt"
	"runtime"
	"strings"
)

// The English texts of the findings: the one place where they are worded
// (the CLI prints them, JSON carries them in message/advice; the GUI words
// findings by Code in its own catalog). Rules: say what is missing in the
// user's words first, then what to do, most likely first; name commands
// exactly; never blame the user.

func (f Finding) withText() Finding {
	f.Message, f.Advice = text(f)
	if f.Advice == nil {
		f.Advice = []string{}
	}
	return f
}

func text(f Finding) (string, []string) {
	switch f.Code {
	case PCSCLibraryMissing:
		return "The smart-card library (PC/SC, pcsc-lite) is not installed, so no card reader can be seen.",
			orNone(runIt(f.Command, "Install the smart-card service and its library"))
	case PCSCUnsupported:
		return fmt.Sprintf("This build of cardcheck cannot look at card readers on %s; only the PKCS#11 modules are listed.", osName()),
			[]string{"The smart-card service is built into " + osName() + "; if the card is missing, reconnect the reader and check the card issuer's software."}
	case ServiceNotInstalled:
		return "The smart-card service (pcscd) is not installed, so no card reader can be seen.",
			orNone(runIt(f.Command, "Install it"))
	case ServiceNotRunning:
		return "The smart-card service is not running, so no card reader can be seen.", serviceAdvice(f.Command)
	case ServiceNotResponding:
		return "The smart-card service does not answer.",
			orNone(runIt(f.Command, "Restart it"), "Unplug and plug in the reader; if that does not help, restart the computer.")
	case ServiceError:
		return "The smart-card service answered with an error: " + f.Detail + ".", nil
	case NoReader:
		return "No card reader is connected.", []string{
			"Plug in the card reader (or the USB token) and try again.",
			"If it is plugged in, its driver may be missing: most readers need the CCID driver (Debian/Ubuntu: libccid); some need the maker's driver.",
		}
	case ReaderUnavailable:
		return fmt.Sprintf("The reader %q is connected but cannot be used.", f.Reader), []string{
			"Unplug it and plug it in again; if it stays unavailable, install or update its driver (most readers: libccid).",
		}
	case NoCard:
		return "No card is inserted in any reader.", []string{"Insert the card (chip first, contacts up on most readers) and try again."}
	case CardMute:
		return fmt.Sprintf("The card in %q does not answer.", f.Reader), []string{
			"Take the card out and insert it again, chip first and the right way up.",
			"If it still does not answer, the card may be damaged or not a chip card: ask its issuer.",
		}
	case CardInUse:
		return fmt.Sprintf("Another program holds the card in %q for itself.", f.Reader), []string{
			"Close other programs that use the card (a browser, an e-mail client, a signing tool, a VPN client) and try again.",
		}
	case NoModuleForCard:
		what := "The card"
		if f.Card != "" {
			what = fmt.Sprintf("The card (%s)", f.Card)
		}
		return fmt.Sprintf("%s in %q is seen by the reader, but no PKCS#11 module shows it.", what, f.Reader), moduleAdvice(f.Suggest)
	case ModuleHidesCard:
		why := "reports an error for it"
		if f.Detail == "token not initialized" {
			why = "says its token is not initialized"
		}
		adv := []string{"If the card is new, it may need to be activated or personalised by its issuer first."}
		if f.Detail != "" && f.Detail != "token not initialized" {
			adv = []string{"The module said: " + f.Detail + ".", "Update the module, or try the card issuer's own module."}
		}
		return fmt.Sprintf("The module %s sees the card in %q but %s, so it is not listed.", f.Module, f.Reader, why), adv
	case ModuleFailed:
		return fmt.Sprintf("The PKCS#11 module %s could not be used: %s", f.Module, f.Detail), []string{
			"Check that the module is installed for this system (64-bit) and complete; reinstall it or remove it from the list.",
		}
	case NoModules:
		return "No PKCS#11 module was found, so no card can be listed.", moduleAdvice(f.Suggest)
	}
	return string(f.Code), nil
}

func serviceAdvice(cmd string) []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"macOS starts its smart-card service by itself when a reader is connected: unplug and plug in the reader."}
	case "windows":
		return []string{"Start the Windows \"Smart Card\" service (services.msc, or in an administrator prompt: " + cmd + "), then plug in the reader again."}
	}
	return orNone(runIt(cmd, "Start it"), "Then plug in the reader again if it is not seen.")
}

func moduleAdvice(hints []ModuleHint) []string {
	var out []string
	for _, h := range hints {
		switch {
		case h.Loaded:
			out = append(out, fmt.Sprintf("%s (%s) is loaded but does not recognise this card; the card issuer's own module may be needed.", h.Name, h.Path))
		case h.Path != "":
			out = append(out, fmt.Sprintf("%s usually serves this card type and is installed: add it with --module %s (or Add module… in the application).", h.Name, h.Path))
		case h.Package != "":
			out = append(out, fmt.Sprintf("%s usually serves this card type: install it (Debian/Ubuntu: sudo apt install %s), or add the card issuer's module with --module PATH.", h.Name, h.Package))
		default:
			out = append(out, fmt.Sprintf("%s usually serves this card type: install it from its vendor and add it with --module PATH.", h.Name))
		}
	}
	if len(out) == 0 {
		out = append(out, "Add the card issuer's PKCS#11 module with --module PATH (or Add module… in the application).")
	}
	return out
}

func runIt(cmd, what string) string {
	if cmd == "" {
		return ""
	}
	return what + ": " + cmd
}

func orNone(advice ...string) []string {
	var out []string
	for _, a := range advice {
		if strings.TrimSpace(a) != "" {
			out = append(out, a)
		}
	}
	return out
}

func osName() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	}
	return runtime.GOOS
}
