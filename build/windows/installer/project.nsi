# A 64-bit installer for a 64-bit app (and one less 32-bit program to trust).
Target amd64-unicode
SetCompressor /SOLID lzma

####
## Doorstep's Windows installer.
##
## It installs for the current user only: no administrator rights, the program
## in %LocalAppData%\Programs\Doorstep, shortcuts and the uninstaller's entry in
## the user's own Start menu and registry (HKCU). That is what lets a landlord
## on a managed PC install it, and what a per-user WebView2 runtime expects.
##
## scripts/package-windows.sh compiles it with makensis and these defines:
##   ARG_WAILS_AMD64_BINARY   the app's exe to pack (required)
##   INFO_PRODUCTVERSION      the version, as scripts/version.sh prints it
##   VERSION_QUAD             the same as four numbers (Windows' version fields)
##   WEBVIEW2_BOOTSTRAPPER    Microsoft's WebView2 bootstrapper to pack
##   OUTFILE                  where to write the installer
##   SIGN_COMMAND             optional: signs the uninstaller ("%1" is its path)
## `wails build -nsis` compiles it too (with the first define only): the
## others then fall back to wails.json's values and the paths Wails uses.
####

# The uninstaller's entry and shortcuts belong to the user, as the files do.
!define REQUEST_EXECUTION_LEVEL "user"

# INFO_* from wails.json (unless defined on the command line), ARCH, and the
# wails.checkArchitecture and wails.files macros.
!include "wails_tools.nsh"

!ifndef VERSION_QUAD
    !define VERSION_QUAD "${INFO_PRODUCTVERSION}.0"
!endif
!ifndef WEBVIEW2_BOOTSTRAPPER
    # Where `wails build -nsis` writes the bootstrapper it carries.
    !define WEBVIEW2_BOOTSTRAPPER "tmp\MicrosoftEdgeWebview2Setup.exe"
!endif
!ifndef OUTFILE
    !define OUTFILE "..\..\bin\${INFO_PROJECTNAME}-${ARCH}-installer.exe"
!endif

# The Uninstall key under HKCU: "Apps & features" lists per-user programs
# from there.
!define DOORSTEP_UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${INFO_PRODUCTNAME}"
# The WebView2 runtime's client id; its "pv" value is the installed version.
!define WEBVIEW2_CLIENT "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

# Windows' version fields take four numbers only.
VIProductVersion "${VERSION_QUAD}"
VIFileVersion    "${VERSION_QUAD}"

VIAddVersionKey "CompanyName"     "${INFO_COMPANYNAME}"
VIAddVersionKey "FileDescription" "${INFO_PRODUCTNAME} Installer"
VIAddVersionKey "ProductVersion"  "${INFO_PRODUCTVERSION}"
VIAddVersionKey "FileVersion"     "${INFO_PRODUCTVERSION}"
VIAddVersionKey "LegalCopyright"  "${INFO_COPYRIGHT}"
VIAddVersionKey "ProductName"     "${INFO_PRODUCTNAME}"

# Enable HiDPI support. https://nsis.sourceforge.io/Reference/ManifestDPIAware
ManifestDPIAware true

!ifdef SIGN_COMMAND
    # The uninstaller is written out while the installer is compiled, so it
    # is signed here; the installer itself is signed after makensis.
    !uninstfinalize '${SIGN_COMMAND}'
!endif

!include "MUI2.nsh"

!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC

!define MUI_FINISHPAGE_RUN "$INSTDIR\${PRODUCT_EXECUTABLE}"
!define MUI_FINISHPAGE_RUN_TEXT "Open ${INFO_PRODUCTNAME} now"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "${INFO_PRODUCTNAME} and its shortcuts will be removed from your computer. Your conversations, settings and saved files are kept (in $LOCALAPPDATA\${INFO_PRODUCTNAME}); delete that folder yourself if you no longer need them."
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Name "${INFO_PRODUCTNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${INFO_PRODUCTNAME}"
# An update goes where the last install went.
InstallDirRegKey HKCU "${DOORSTEP_UNINST_KEY}" "InstallLocation"
ShowInstDetails show

Function .onInit
    !insertmacro wails.checkArchitecture
FunctionEnd

# installWebView2: runs Microsoft's bootstrapper when no WebView2 runtime is
# installed, per machine or for this user. Run without elevation, it installs
# the runtime for the current user. It downloads the runtime, so without a
# network the install goes on and the app explains what is missing.
!macro installWebView2
    SetRegView 64
    ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_CLIENT}" "pv"
    StrCmp $0 "" 0 webview2_done
    ReadRegStr $0 HKLM "SOFTWARE\${WEBVIEW2_CLIENT}" "pv"
    StrCmp $0 "" 0 webview2_done
    ReadRegStr $0 HKCU "Software\${WEBVIEW2_CLIENT}" "pv"
    StrCmp $0 "" 0 webview2_done

    SetDetailsPrint both
    DetailPrint "Installing: Microsoft Edge WebView2 Runtime"
    SetDetailsPrint listonly
    InitPluginsDir
    SetOutPath "$PLUGINSDIR\webview2"
    File "/oname=MicrosoftEdgeWebview2Setup.exe" "${WEBVIEW2_BOOTSTRAPPER}"
    ExecWait '"$PLUGINSDIR\webview2\MicrosoftEdgeWebview2Setup.exe" /silent /install' $1
    SetDetailsPrint both
    StrCmp $1 "0" webview2_done
    DetailPrint "The WebView2 Runtime could not be installed (code $1); ${INFO_PRODUCTNAME} needs it to open its window."
    webview2_done:
    SetRegView default
!macroend

Section "${INFO_PRODUCTNAME}" SectionApp
    SectionIn RO
    SetShellVarContext current

    !insertmacro installWebView2

    SetOutPath $INSTDIR
    !insertmacro wails.files
    WriteUninstaller "$INSTDIR\uninstall.exe"

    CreateShortcut "$SMPROGRAMS\${INFO_PRODUCTNAME}.lnk" "$INSTDIR\${PRODUCT_EXECUTABLE}"

    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "DisplayName" "${INFO_PRODUCTNAME}"
    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "DisplayVersion" "${INFO_PRODUCTVERSION}"
    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "Publisher" "${INFO_COMPANYNAME}"
    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "DisplayIcon" "$INSTDIR\${PRODUCT_EXECUTABLE}"
    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
    WriteRegStr HKCU "${DOORSTEP_UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
    WriteRegDWORD HKCU "${DOORSTEP_UNINST_KEY}" "NoModify" 1
    WriteRegDWORD HKCU "${DOORSTEP_UNINST_KEY}" "NoRepair" 1
    ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
    IntFmt $0 "0x%08X" $0
    WriteRegDWORD HKCU "${DOORSTEP_UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Desktop shortcut" SectionDesktop
    SetShellVarContext current
    CreateShortcut "$DESKTOP\${INFO_PRODUCTNAME}.lnk" "$INSTDIR\${PRODUCT_EXECUTABLE}"
SectionEnd

# The uninstaller removes only what the installer put there, file by file:
# a recursive delete of $INSTDIR would take whatever else someone keeps in
# a folder they chose. The user's data (%LocalAppData%\Doorstep, and the
# window's WebView2 data) stays.
Section "uninstall"
    SetShellVarContext current

    Delete "$INSTDIR\${PRODUCT_EXECUTABLE}"
    Delete "$INSTDIR\uninstall.exe"
    RMDir "$INSTDIR"

    Delete "$SMPROGRAMS\${INFO_PRODUCTNAME}.lnk"
    Delete "$DESKTOP\${INFO_PRODUCTNAME}.lnk"

    DeleteRegKey HKCU "${DOORSTEP_UNINST_KEY}"
SectionEnd
