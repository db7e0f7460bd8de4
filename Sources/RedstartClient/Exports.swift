// Replies are RedstartRESP's RESPValue (and RESPPair): users of the client name them
// without depending on a second module.
@_exported import RedstartRESP
