// Stand-in for the `archiver` package in the synth bundle. cdktf loads archiver eagerly, only to
// zip the folders of TerraformAsset; gateway-pki has no assets, and archiver with its streams
// and globbing dependencies is the largest part of cdktf's start-up. An asset added later fails
// loudly here instead of silently producing nothing.
module.exports = function archiver() {
  throw new Error('TerraformAsset archives are not supported by the gateway-pki synth bundle: remove the alias in scripts/build.mjs to use them');
};
