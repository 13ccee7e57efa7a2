// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISxlLedger: the ledger's events, errors and shared types
/// @notice Every state change of the ledger emits one of these events; every refusal is one of
///         these errors, so off-chain services can tell exactly why a call failed.
interface ISxlLedger {
    /// @notice Roles, each changed only through the timelocked propose/execute pair.
    enum Role {
        Governance,
        Issuer,
        ClearingHouse
    }

    /// @notice Fixed at deployment. Times are seconds (real values in production, a few seconds on a dev chain).
    struct Params {
        address token; // the ERC-20 held in escrow
        uint256 creditPrice; // token units per credit (one credit = one token)
        uint16 vendorShareBps; // vendor's share of a sale, credited at funding time
        uint16 feeBps; // network fee, paid through a fee leaf in each epoch
        address feeRecipient;
        address governance;
        address issuer;
        address clearingHouse;
        uint64 minKeyDelay; // a key is usable no sooner than this after anchoring
        uint64 minIssueWindow; // shortest issuing window of a key
        uint64 minRedeemWindow; // shortest time a key stays redeemable after it stops issuing
        uint64 disputeWindow; // after a post: disputes allowed, claims not yet
        uint64 answerWindow; // time the clearing house has to answer a dispute
        uint64 postDeadline; // longest time between two epoch posts before receipts are paid from the bond
        uint256 minBond; // the clearing house must hold at least this to post
        uint256 disputeDeposit; // put up by a disputing operator, lost if the dispute is answered
        uint256 disputePenalty; // paid from the bond on top of the shortfall
        uint64 roleChangeDelay; // timelock for role changes
        uint64 maxPause; // a pause lapses by itself after this long
        uint64 pauseCooldown; // and cannot be renewed for this long after it ended
    }

    /// @notice An epoch as stored (times on the active clock, see SxlLedger.activeTime).
    struct EpochView {
        bytes32 root;
        uint256 unclaimed; // the posted total less what payees have claimed
        uint256 operatorTotal;
        uint8 round; // 0: never posted
        address poster;
        uint64 postedAt;
        uint64 windowClosesAt;
        uint64 frozenAt; // 0: live
        uint32 openDisputes;
    }

    // ---- governance ----
    event RoleChangeProposed(Role indexed role, address indexed account, uint64 executableAt);
    event RoleChangeCancelled(Role indexed role, address indexed account);
    event RoleChanged(Role indexed role, address indexed previous, address indexed account);
    event Paused(address indexed by, uint64 until);
    event Unpaused(address indexed by);
    event VendorRegistered(address indexed vendor);
    event VendorRemoved(address indexed vendor);

    // ---- funding ----
    event BatchFunded(
        address indexed vendor, bytes32 indexed batchId, bytes32 root, uint64 credits, uint256 amount, uint256 vendorShare
    );
    event CardBought(
        address indexed buyer, address indexed vendor, bytes32 indexed cardHash, uint64 credits, uint256 amount, uint256 vendorShare
    );
    event VendorWithdrawal(address indexed vendor, uint256 amount);

    // ---- key registry and issued totals ----
    event KeyAnchored(bytes32 indexed keyId, bytes spki, uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil);
    event KeyRevoked(bytes32 indexed keyId, uint64 revokedAt);
    event IssuedAnchored(bytes32 indexed keyId, uint64 cumulative, uint64 totalIssued);

    // ---- epochs, claims, disputes, bonds ----
    event EpochPosted(
        uint64 indexed epoch, uint8 round, bytes32 root, uint256 total, uint256 operatorTotal, bytes32 leavesHash, address indexed poster
    );
    event EpochFrozen(uint64 indexed epoch, uint8 round, uint256 returnedToUnallocated);
    event Claimed(uint64 indexed epoch, address indexed payee, uint256 amount);
    event DisputeOpened(
        uint64 indexed epoch, address indexed payee, uint8 round, uint64 acceptedInEpoch, bytes32 batchId, uint256 owed, uint64 answerBy
    );
    event DisputeAnswered(uint64 indexed epoch, address indexed payee, uint8 round, uint256 leafAmount, uint256 depositForfeited);
    event DisputeUpheld(uint64 indexed epoch, address indexed payee, uint8 round, uint256 shortfall, uint256 paidFromBond);
    event UnderpaymentProven(
        uint64 indexed epoch, address indexed payee, uint8 round, uint256 leafAmount, uint256 owed, uint256 paidFromBond
    );
    event LateEpochPaid(uint64 indexed epoch, address indexed payee, address indexed clearingHouse, uint256 owed, uint256 paidFromBond);
    event BondDeposited(address indexed clearingHouse, address indexed from, uint256 amount);
    event BondWithdrawn(address indexed clearingHouse, uint256 amount);
    event BondPaid(address indexed clearingHouse, address indexed to, uint256 amount);

    // ---- errors ----
    error InvalidParameters(string reason);
    error NotGovernance();
    error NotIssuer();
    error NotClearingHouse();
    error NotRegisteredVendor(address account);
    error ZeroAddress();
    error NoRoleChangePending(Role role);
    error RoleChangeNotReady(Role role, uint64 executableAt);
    error ContractPaused();
    error NotPaused();
    error PauseCoolingDown(uint64 availableAt);
    error BatchAlreadyFunded(bytes32 batchId);
    error CardAlreadyBought(bytes32 cardHash);
    error ZeroCredits();
    error ZeroHash();
    error NothingToWithdraw();
    error SpkiMismatch(bytes32 keyId, bytes32 sha256OfSpki);
    error KeyAlreadyAnchored(bytes32 keyId);
    error UnknownKey(bytes32 keyId);
    error KeyAlreadyRevoked(bytes32 keyId);
    error KeyTooSoon(uint64 usableFrom, uint64 earliest);
    error IssueWindowTooShort(uint64 issueUntil, uint64 earliest);
    error RedeemWindowTooShort(uint64 redeemUntil, uint64 earliest);
    error IssueWindowOverlap(uint64 usableFrom, uint64 previousIssueUntil);
    error IssuedDecreased(bytes32 keyId, uint64 previous, uint64 cumulative);
    error IssuedExceedsFunded(uint64 totalIssued, uint64 creditsFunded);
    error BondTooSmall(uint256 bond, uint256 minBond);
    error EpochNotPostable(uint64 epoch, uint64 nextEpoch);
    error OperatorTotalAboveTotal(uint256 operatorTotal, uint256 total);
    error TotalExceedsUnallocated(uint256 total, uint256 unallocated);
    error OperatorTotalExceedsIssued(uint256 cumulativeOperatorTotal, uint256 bound);
    error FeeTotalExceedsIssued(uint256 cumulativeFeeTotal, uint256 bound);
    error TooManyRounds(uint64 epoch);
    error EpochNotPosted(uint64 epoch);
    error EpochIsFrozen(uint64 epoch);
    error DisputeWindowOpen(uint64 epoch, uint64 closesAt);
    error DisputeWindowClosed(uint64 epoch);
    error DisputesOpen(uint64 epoch, uint32 open);
    error AlreadyClaimed(uint64 epoch, address payee);
    error InvalidProof();
    error ClaimsExceedTotal(uint64 epoch);
    error NotPayee(address payee);
    error NotSignedByClearingHouse(address signer);
    error NotUnderpaid(uint256 leafAmount, uint256 owed);
    error NothingOwed(uint64 epoch);
    error DisputeExists(uint64 epoch, address payee);
    error NoOpenDispute(uint64 epoch, address payee);
    error AnswerTooLow(uint256 leafAmount, uint256 owed);
    error AnswerWindowClosed(uint64 epoch, address payee);
    error AnswerWindowOpen(uint64 epoch, address payee, uint64 answerBy);
    error EpochNotLate(uint64 epoch);
    error LateAlreadyPaid(uint64 epoch, address payee);
    error BondLocked(uint64 until);
    error OpenDisputesAgainstBond(uint32 open);
    error InsufficientBond(uint256 bond, uint256 amount);
}
