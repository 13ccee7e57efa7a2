// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestStablecoin
/// @notice The dev chain's stand-in for a dollar stablecoin: six decimals, minted by its owner (the
///         devnet deployer) to test accounts. Production ledgers take any ERC-20 instead.
contract TestStablecoin is ERC20, Ownable {
    constructor(address owner_) ERC20("SimpleXLedger Test Dollar", "sxUSD") Ownable(owner_) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
