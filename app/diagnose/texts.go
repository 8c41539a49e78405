package diagnose

import (
	"runtime"
	"strconv"

	"github.com/cardcheck/cardcheck/app/msg"
)

// The English texts of the findings: the one place where they are worded
// (the CLI prints them, JSON carries them in message/advice; the GUI words
// findings by Code in its own catalog). Rules: say what is missing in the
// user's words first, then what to do, most likely first; name commands
// exactly; never blame the user.

func (f Finding) withText() Finding {
	m, advice := text(f)
	f.MessageMsg, f.AdviceMsgs = m, advice
	f.Message, f.Advice = msg.English(m), []string{}
	for _, a := range advice {
		f.Advice = append(f.Advice, msg.English(a))
	}
	if f.AdviceMsgs == nil {
		f.AdviceMsgs = []msg.Msg{}
	}
	return f
}

func text(f Finding) (msg.Msg, []msg.Msg) {
	switch f.Code {
	case PCSCLibraryMissing:
		return mPCSCLibraryMissing.New(), orNone(runIt(f.Command, mInstallServiceAndLibrary))
	case PCSCUnsupported:
		return mPCSCUnsupported.New("OS", osName()), []msg.Msg{mServiceBuiltIn.New("OS", osName())}
	case ServiceNotInstalled:
		return mServiceNotInstalled.New(), orNone(runIt(f.Command, mInstallIt))
	case ServiceNotRunning:
		return mServiceNotRunning.New(), serviceAdvice(f.Command)
	case ServiceNotResponding:
		return mServiceNotResponding.New(), orNone(runIt(f.Command, mRestartIt), mReplugOrRestart.New())
	case ServiceError:
		return mServiceError.New("Detail", f.Detail), nil
	case NoReader:
		return mNoReader.New(), []msg.Msg{mPlugInReader.New(), mReaderDriver.New()}
	case ReaderUnavailable:
		return mReaderUnavailable.New("Reader", strconv.Quote(f.Reader)), []msg.Msg{mReplugReader.New()}
	case NoCard:
		return mNoCard.New(), []msg.Msg{mInsertCard.New()}
	case CardMute:
		return mCardMute.New("Reader", strconv.Quote(f.Reader)), []msg.Msg{mReinsertCard.New(), mCardDamaged.New()}
	case CardInUse:
		return mCardInUse.New("Reader", strconv.Quote(f.Reader)), []msg.Msg{mCloseOthers.New()}
	case NoModuleForCard:
		what := mTheCard.New()
		if f.Card != "" {
			what = mTheCardNamed.New("Card", f.Card)
		}
		return mNoModuleForCard.New("What", what, "Reader", strconv.Quote(f.Reader)), moduleAdvice(f.Suggest)
	case ModuleHidesCard:
		why := mReportsError.New()
		if f.Detail == "token not initialized" {
			why = mNotInitialized.New()
		}
		adv := []msg.Msg{mActivateCard.New()}
		if f.Detail != "" && f.Detail != "token not initialized" {
			adv = []msg.Msg{mModuleSaid.New("Detail", f.Detail), mUpdateModule.New()}
		}
		return mModuleHidesCard.New("Module", f.Module, "Reader", strconv.Quote(f.Reader), "Why", why), adv
	case ModuleFailed:
		return mModuleFailed.New("Module", f.Module, "Detail", f.Detail), []msg.Msg{mCheckModule.New()}
	case NoModules:
		return mNoModules.New(), moduleAdvice(f.Suggest)
	}
	return msg.Text(string(f.Code)), nil
}

func serviceAdvice(cmd string) []msg.Msg {
	switch runtime.GOOS {
	case "darwin":
		return []msg.Msg{mMacService.New()}
	case "windows":
		return []msg.Msg{mWindowsService.New("Command", cmd)}
	}
	return orNone(runIt(cmd, mStartIt), mReplugIfUnseen.New())
}

func moduleAdvice(hints []ModuleHint) []msg.Msg {
	var out []msg.Msg
	for _, h := range hints {
		switch {
		case h.Loaded:
			out = append(out, mHintLoaded.New("Name", h.Name, "Path", h.Path))
		case h.Path != "":
			out = append(out, mHintInstalled.New("Name", h.Name, "Path", h.Path))
		case h.Package != "":
			out = append(out, mHintPackage.New("Name", h.Name, "Package", h.Package))
		default:
			out = append(out, mHintVendor.New("Name", h.Name))
		}
	}
	if len(out) == 0 {
		out = append(out, mAddIssuerModule.New())
	}
	return out
}

// runIt is "what: command", or nothing without a command.
func runIt(cmd string, what *msg.Def) msg.Msg {
	if cmd == "" {
		return msg.Msg{}
	}
	return what.New("Command", cmd)
}

func orNone(advice ...msg.Msg) []msg.Msg {
	var out []msg.Msg
	for _, a := range advice {
		if !a.IsZero() {
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

var (
	mPCSCLibraryMissing       = msg.Define("diagnose.pcsc_library_missing", "The smart-card library (PC/SC, pcsc-lite) is not installed, so no card reader can be seen.")
	mInstallServiceAndLibrary = msg.Define("diagnose.advice.install_service_and_library", "Install the smart-card service and its library: {{.Command}}")
	mPCSCUnsupported          = msg.Define("diagnose.pcsc_unsupported", "This build of cardcheck cannot look at card readers on {{.OS}}; only the PKCS#11 modules are listed.")
	mServiceBuiltIn           = msg.Define("diagnose.advice.service_built_in", "The smart-card service is built into {{.OS}}; if the card is missing, reconnect the reader and check the card issuer's software.")
	mServiceNotInstalled      = msg.Define("diagnose.service_not_installed", "The smart-card service (pcscd) is not installed, so no card reader can be seen.")
	mInstallIt                = msg.Define("diagnose.advice.install_it", "Install it: {{.Command}}")
	mServiceNotRunning        = msg.Define("diagnose.service_not_running", "The smart-card service is not running, so no card reader can be seen.")
	mServiceNotResponding     = msg.Define("diagnose.service_not_responding", "The smart-card service does not answer.")
	mRestartIt                = msg.Define("diagnose.advice.restart_it", "Restart it: {{.Command}}")
	mReplugOrRestart          = msg.Define("diagnose.advice.replug_or_restart", "Unplug and plug in the reader; if that does not help, restart the computer.")
	mServiceError             = msg.Define("diagnose.service_error", "The smart-card service answered with an error: {{.Detail}}.")
	mNoReader                 = msg.Define("diagnose.no_reader", "No card reader is connected.")
	mPlugInReader             = msg.Define("diagnose.advice.plug_in_reader", "Plug in the card reader (or the USB token) and try again.")
	mReaderDriver             = msg.Define("diagnose.advice.reader_driver", "If it is plugged in, its driver may be missing: most readers need the CCID driver (Debian/Ubuntu: libccid); some need the maker's driver.")
	mReaderUnavailable        = msg.Define("diagnose.reader_unavailable", "The reader {{.Reader}} is connected but cannot be used.")
	mReplugReader             = msg.Define("diagnose.advice.replug_reader", "Unplug it and plug it in again; if it stays unavailable, install or update its driver (most readers: libccid).")
	mNoCard                   = msg.Define("diagnose.no_card", "No card is inserted in any reader.")
	mInsertCard               = msg.Define("diagnose.advice.insert_card", "Insert the card (chip first, contacts up on most readers) and try again.")
	mCardMute                 = msg.Define("diagnose.card_mute", "The card in {{.Reader}} does not answer.")
	mReinsertCard             = msg.Define("diagnose.advice.reinsert_card", "Take the card out and insert it again, chip first and the right way up.")
	mCardDamaged              = msg.Define("diagnose.advice.card_damaged", "If it still does not answer, the card may be damaged or not a chip card: ask its issuer.")
	mCardInUse                = msg.Define("diagnose.card_in_use", "Another program holds the card in {{.Reader}} for itself.")
	mCloseOthers              = msg.Define("diagnose.advice.close_others", "Close other programs that use the card (a browser, an e-mail client, a signing tool, a VPN client) and try again.")
	mTheCard                  = msg.Define("diagnose.the_card", "The card")
	mTheCardNamed             = msg.Define("diagnose.the_card_named", "The card ({{.Card}})")
	mNoModuleForCard          = msg.Define("diagnose.no_module_for_card", "{{.What}} in {{.Reader}} is seen by the reader, but no PKCS#11 module shows it.")
	mReportsError             = msg.Define("diagnose.module_reports_error", "reports an error for it")
	mNotInitialized           = msg.Define("diagnose.module_not_initialized", "says its token is not initialized")
	mActivateCard             = msg.Define("diagnose.advice.activate_card", "If the card is new, it may need to be activated or personalised by its issuer first.")
	mModuleSaid               = msg.Define("diagnose.advice.module_said", "The module said: {{.Detail}}.")
	mUpdateModule             = msg.Define("diagnose.advice.update_module", "Update the module, or try the card issuer's own module.")
	mModuleHidesCard          = msg.Define("diagnose.module_hides_card", "The module {{.Module}} sees the card in {{.Reader}} but {{.Why}}, so it is not listed.")
	mModuleFailed             = msg.Define("diagnose.module_failed", "The PKCS#11 module {{.Module}} could not be used: {{.Detail}}")
	mCheckModule              = msg.Define("diagnose.advice.check_module", "Check that the module is installed for this system (64-bit) and complete; reinstall it or remove it from the list.")
	mNoModules                = msg.Define("diagnose.no_modules", "No PKCS#11 module was found, so no card can be listed.")
	mMacService               = msg.Define("diagnose.advice.mac_service", "macOS starts its smart-card service by itself when a reader is connected: unplug and plug in the reader.")
	mWindowsService           = msg.Define("diagnose.advice.windows_service", "Start the Windows \"Smart Card\" service (services.msc, or in an administrator prompt: {{.Command}}), then plug in the reader again.")
	mStartIt                  = msg.Define("diagnose.advice.start_it", "Start it: {{.Command}}")
	mReplugIfUnseen           = msg.Define("diagnose.advice.replug_if_unseen", "Then plug in the reader again if it is not seen.")
	mHintLoaded               = msg.Define("diagnose.advice.hint_loaded", "{{.Name}} ({{.Path}}) is loaded but does not recognise this card; the card issuer's own module may be needed.")
	mHintInstalled            = msg.Define("diagnose.advice.hint_installed", "{{.Name}} usually serves this card type and is installed: add it with --module {{.Path}} (or Add module… in the application).")
	mHintPackage              = msg.Define("diagnose.advice.hint_package", "{{.Name}} usually serves this card type: install it (Debian/Ubuntu: sudo apt install {{.Package}}), or add the card issuer's module with --module PATH.")
	mHintVendor               = msg.Define("diagnose.advice.hint_vendor", "{{.Name}} usually serves this card type: install it from its vendor and add it with --module PATH.")
	mAddIssuerModule          = msg.Define("diagnose.advice.add_issuer_module", "Add the card issuer's PKCS#11 module with --module PATH (or Add module… in the application).")
)
