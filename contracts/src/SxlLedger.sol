// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ISxlLedger} from "./ISxlLedger.sol";
import {SxlKeyRegistry} from "./SxlKeyRegistry.sol";

/// @title SxlLedger: escrow, token-key registry and disputable settlement for SimpleXLedger
/// @notice Holds one ERC-20 in escrow. Vendors fund card batches (their share is credited at once);
///         the issuer anchors token keys and cumulative issued totals; the clearing house posts one
///         Merkle root per epoch of operator and fee payouts; payees claim with proofs once the
///         dispute window has closed; underpaid operators dispute with signed receipts and are paid
///         from the clearing house's bond. Money leaves only through claims, vendor withdrawals and
///         bond payouts (and bond withdrawals of the clearing house's own bond).
/// @dev Invariant after every call (see {accounts}):
///      escrowReceived == vendorBalances + vendorWithdrawn + claimsPaid + allocatedUnclaimed + unallocated,
///      and the token balance == vendorBalances + allocatedUnclaimed + unallocated + bondsHeld + depositsHeld.
///      Windows are measured on an "active clock" (block time minus time spent paused) so that a
///      pause extends every dispute, answer and posting window by exactly its length.
contract SxlLedger is ISxlLedger, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address payee,uint64 epoch,uint64 acceptedInEpoch,bytes32 batchId)");
    uint64 public constant FIRST_EPOCH = 1;

    // ---------------------------------------------------------------- parameters (immutable)
    IERC20 public immutable token;
    uint256 public immutable creditPrice;
    uint16 public immutable vendorShareBps;
    uint16 public immutable feeBps;
    address public immutable feeRecipient;
    /// @notice What an operator earns per accepted token: creditPrice × (10000 − vendorShareBps − feeBps) / 10000, rounded down.
    uint256 public immutable operatorRate;
    /// @notice The token-key registry this ledger created (keys, windows, issued totals per key).
    SxlKeyRegistry public immutable keyRegistry;
    uint64 public immutable disputeWindow;
    uint64 public immutable answerWindow;
    uint64 public immutable postDeadline;
    uint256 public immutable minBond;
    uint256 public immutable disputeDeposit;
    uint256 public immutable disputePenalty;
    uint64 public immutable roleChangeDelay;
    uint64 public immutable maxPause;
    uint64 public immutable pauseCooldown;

    // ---------------------------------------------------------------- roles
    address public governance;
    address public issuer;
    address public clearingHouse;

    struct PendingRole {
        address account;
        uint64 executableAt;
    }

    mapping(Role => PendingRole) private _pendingRoles;

    /// @dev Every address that has been clearing house gets a small index, stored with its epochs,
    ///      so that disputes charge the bond of whoever posted (index 0 is unused).
    address[] private _clearingHouses;
    mapping(address => uint16) private _clearingHouseIndex;
    mapping(address => uint256) public bondOf;
    /// @notice A former clearing house may withdraw its bond only after this active time.
    mapping(address => uint64) public bondUnlockAt;
    /// @notice Open disputes against the bond of each clearing house.
    mapping(address => uint32) public openDisputesAgainst;

    // ---------------------------------------------------------------- pause
    struct PauseState {
        uint40 start; // last pause started (0: never paused)
        uint40 end; // last pause ends/ended (lapse or early unpause)
        uint40 pausedBefore; // seconds paused before the last pause
    }

    PauseState private _pause;

    // ---------------------------------------------------------------- vendors and funding
    struct Batch {
        address vendor;
        uint64 credits;
        bytes32 root;
    }

    struct Card {
        address vendor;
        uint64 credits;
    }

    mapping(address => bool) public isVendor;
    mapping(address => uint256) public vendorBalance;
    mapping(bytes32 => Batch) private _batches;
    mapping(bytes32 => Card) private _cards;

    // ---------------------------------------------------------------- accounting (packed in pairs)
    // Slots are paired so that a claim writes one already non-zero slot (allocated with claims paid).
    uint128 private _escrowReceived;
    uint128 private _vendorWithdrawn;
    uint128 private _unallocated;
    uint128 private _vendorBalances;
    uint128 private _allocatedUnclaimed;
    uint128 private _claimsPaid;
    uint128 private _bondsHeld;
    uint128 private _depositsHeld;
    uint64 public creditsFunded;
    uint64 public totalIssued;
    uint128 public cumulativeOperatorPosted;
    uint128 public cumulativeFeePosted;
    uint64 public nextEpoch;
    uint64 public lastPostAt; // active time of the last new epoch's post (or deployment)

    // ---------------------------------------------------------------- epochs
    /// @dev Written at each post: with the root, two fresh storage slots per epoch (the gas budget).
    ///      Claims count down `unclaimed` here (a slot already written) rather than a fresh one.
    struct EpochHead {
        uint96 unclaimed; // the epoch's total until payees claim; what a freeze returns
        uint96 operatorTotal;
        uint40 postedAt; // active time
        uint16 poster; // clearing-house index
        uint8 round; // 1 for the first post, +1 for each re-post after a freeze
    }

    /// @dev Written by disputes; reset by a re-post.
    struct EpochState {
        uint32 openDisputes;
        uint40 frozenAt; // active time; 0 while live
    }

    enum DisputeStatus {
        None,
        Open,
        Answered,
        Upheld,
        Proven
    }

    struct Dispute {
        DisputeStatus status;
        uint8 round;
        uint40 answerBy; // active time
        uint64 acceptedInEpoch;
        uint96 owed;
    }

    mapping(uint64 => bytes32) private _roots;
    mapping(uint64 => EpochHead) private _heads;
    mapping(uint64 => EpochState) private _states;
    mapping(uint64 => mapping(address => bool)) public claimed;
    mapping(uint64 => mapping(address => Dispute)) private _disputes;
    mapping(uint64 => mapping(address => bool)) public latePaid;

    // ================================================================ construction

    constructor(Params memory p) EIP712("SimpleXLedger", "1") {
        if (p.token == address(0) || p.feeRecipient == address(0) || p.governance == address(0)) revert ZeroAddress();
        if (p.issuer == address(0) || p.clearingHouse == address(0)) revert ZeroAddress();
        if (p.creditPrice == 0) revert InvalidParameters("creditPrice");
        if (uint256(p.vendorShareBps) + p.feeBps > 10_000) revert InvalidParameters("shares");
        if (p.disputeWindow == 0 || p.answerWindow == 0 || p.postDeadline == 0) revert InvalidParameters("windows");
        if (p.maxPause == 0 || p.maxPause > type(uint40).max) revert InvalidParameters("maxPause");
        if (p.minBond < p.disputePenalty) revert InvalidParameters("minBond");

        token = IERC20(p.token);
        creditPrice = p.creditPrice;
        vendorShareBps = p.vendorShareBps;
        feeBps = p.feeBps;
        feeRecipient = p.feeRecipient;
        operatorRate = (p.creditPrice * (10_000 - uint256(p.vendorShareBps) - p.feeBps)) / 10_000;
        keyRegistry = new SxlKeyRegistry(address(this), p.minKeyDelay, p.minIssueWindow, p.minRedeemWindow);
        disputeWindow = p.disputeWindow;
        answerWindow = p.answerWindow;
        postDeadline = p.postDeadline;
        minBond = p.minBond;
        disputeDeposit = p.disputeDeposit;
        disputePenalty = p.disputePenalty;
        roleChangeDelay = p.roleChangeDelay;
        maxPause = p.maxPause;
        pauseCooldown = p.pauseCooldown;

        governance = p.governance;
        issuer = p.issuer;
        _clearingHouses.push(address(0));
        _setClearingHouse(p.clearingHouse);
        nextEpoch = FIRST_EPOCH;
        lastPostAt = uint64(block.timestamp);

        emit RoleChanged(Role.Governance, address(0), p.governance);
        emit RoleChanged(Role.Issuer, address(0), p.issuer);
        emit RoleChanged(Role.ClearingHouse, address(0), p.clearingHouse);
    }

    // ================================================================ modifiers

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance();
        _;
    }

    modifier onlyIssuer() {
        if (msg.sender != issuer) revert NotIssuer();
        _;
    }

    modifier whenNotPaused() {
        if (isPaused()) revert ContractPaused();
        _;
    }

    // ================================================================ governance: timelocked roles, vendors, pause

    /// @notice Proposes a new holder for a role; it takes effect through {executeRoleChange} after {roleChangeDelay}.
    function proposeRoleChange(Role role, address account) external onlyGovernance {
        if (account == address(0)) revert ZeroAddress();
        uint64 executableAt = uint64(block.timestamp) + roleChangeDelay;
        _pendingRoles[role] = PendingRole(account, executableAt);
        emit RoleChangeProposed(role, account, executableAt);
    }

    function cancelRoleChange(Role role) external onlyGovernance {
        PendingRole memory pending = _pendingRoles[role];
        if (pending.account == address(0)) revert NoRoleChangePending(role);
        delete _pendingRoles[role];
        emit RoleChangeCancelled(role, pending.account);
    }

    /// @notice Anyone may execute a proposed role change once its delay has passed.
    function executeRoleChange(Role role) external {
        PendingRole memory pending = _pendingRoles[role];
        if (pending.account == address(0)) revert NoRoleChangePending(role);
        if (block.timestamp < pending.executableAt) revert RoleChangeNotReady(role, pending.executableAt);
        delete _pendingRoles[role];
        address previous;
        if (role == Role.Governance) {
            previous = governance;
            governance = pending.account;
        } else if (role == Role.Issuer) {
            previous = issuer;
            issuer = pending.account;
        } else {
            previous = clearingHouse;
            // The outgoing clearing house stays liable for its epochs' disputes and late receipts.
            bondUnlockAt[previous] = activeTime() + postDeadline + disputeWindow + answerWindow;
            _setClearingHouse(pending.account);
        }
        emit RoleChanged(role, previous, pending.account);
    }

    function pendingRoleChange(Role role) external view returns (address account, uint64 executableAt) {
        PendingRole memory pending = _pendingRoles[role];
        return (pending.account, pending.executableAt);
    }

    function registerVendor(address vendor) external onlyGovernance {
        if (vendor == address(0)) revert ZeroAddress();
        isVendor[vendor] = true;
        emit VendorRegistered(vendor);
    }

    /// @notice A removed vendor can no longer fund batches or be named by buyers; it keeps its balance.
    function removeVendor(address vendor) external onlyGovernance {
        if (!isVendor[vendor]) revert NotRegisteredVendor(vendor);
        isVendor[vendor] = false;
        emit VendorRemoved(vendor);
    }

    /// @notice Pauses funding, purchases, epoch posts, claims and bond withdrawals for at most {maxPause};
    ///         the pause lapses by itself and cannot be renewed until {pauseCooldown} after it ended.
    ///         Disputes, answers and bond payouts keep working, and every window extends by the pause.
    function pause() external onlyGovernance {
        PauseState memory s = _pause;
        uint64 nowTs = uint64(block.timestamp);
        if (s.start != 0) {
            if (nowTs < s.end) revert ContractPaused();
            uint64 availableAt = uint64(s.end) + pauseCooldown;
            if (nowTs < availableAt) revert PauseCoolingDown(availableAt);
            s.pausedBefore += s.end - s.start;
        }
        s.start = uint40(nowTs);
        s.end = uint40(nowTs + maxPause);
        _pause = s;
        emit Paused(msg.sender, s.end);
    }

    function unpause() external onlyGovernance {
        if (!isPaused()) revert NotPaused();
        _pause.end = uint40(block.timestamp);
        emit Unpaused(msg.sender);
    }

    function isPaused() public view returns (bool) {
        PauseState memory s = _pause;
        return s.start != 0 && block.timestamp < s.end;
    }

    /// @notice Block time minus all time spent paused: the clock every window runs on.
    function activeTime() public view returns (uint64) {
        PauseState memory s = _pause;
        uint256 paused = s.pausedBefore;
        if (s.start != 0) {
            paused += (block.timestamp < s.end ? block.timestamp : s.end) - s.start;
        }
        return uint64(block.timestamp - paused);
    }

    function pauseState() external view returns (uint64 start, uint64 end, uint64 pausedBefore, bool paused) {
        PauseState memory s = _pause;
        return (s.start, s.end, s.pausedBefore, isPaused());
    }

    // ================================================================ vendors and funding

    /// @notice A registered vendor funds a batch of cards: credits × price into escrow, its share to its balance at once.
    function fundBatch(bytes32 batchId, bytes32 root, uint64 credits) external whenNotPaused nonReentrant {
        if (!isVendor[msg.sender]) revert NotRegisteredVendor(msg.sender);
        if (batchId == bytes32(0) || root == bytes32(0)) revert ZeroHash();
        if (credits == 0) revert ZeroCredits();
        if (_batches[batchId].vendor != address(0)) revert BatchAlreadyFunded(batchId);
        _batches[batchId] = Batch(msg.sender, credits, root);
        (uint256 amount, uint256 share) = _receiveSale(msg.sender, msg.sender, credits);
        emit BatchFunded(msg.sender, batchId, root, credits, amount, share);
    }

    /// @notice A user buys one card: pays its credits' price and registers the hash of a card secret it made.
    function buyCard(bytes32 cardHash, uint64 credits, address vendor) external whenNotPaused nonReentrant {
        if (!isVendor[vendor]) revert NotRegisteredVendor(vendor);
        if (cardHash == bytes32(0)) revert ZeroHash();
        if (credits == 0) revert ZeroCredits();
        if (_cards[cardHash].vendor != address(0)) revert CardAlreadyBought(cardHash);
        _cards[cardHash] = Card(vendor, credits);
        (uint256 amount, uint256 share) = _receiveSale(msg.sender, vendor, credits);
        emit CardBought(msg.sender, vendor, cardHash, credits, amount, share);
    }

    /// @notice A vendor takes its whole balance, at any time (also while paused: it is the vendor's money).
    function withdrawVendorBalance() external nonReentrant {
        uint256 amount = vendorBalance[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        vendorBalance[msg.sender] = 0;
        _vendorBalances -= uint128(amount);
        _vendorWithdrawn += uint128(amount);
        token.safeTransfer(msg.sender, amount);
        emit VendorWithdrawal(msg.sender, amount);
    }

    function batchOf(bytes32 batchId) external view returns (address vendor, uint64 credits, bytes32 root) {
        Batch memory b = _batches[batchId];
        return (b.vendor, b.credits, b.root);
    }

    function cardOf(bytes32 cardHash) external view returns (address vendor, uint64 credits) {
        Card memory c = _cards[cardHash];
        return (c.vendor, c.credits);
    }

    function _receiveSale(address payer, address vendor, uint64 credits) private returns (uint256 amount, uint256 share) {
        amount = uint256(credits) * creditPrice;
        share = (amount * vendorShareBps) / 10_000;
        uint64 funded = creditsFunded + credits; // checked: reverts on overflow
        creditsFunded = funded;
        _escrowReceived += amount.toUint128();
        _vendorBalances += uint128(share);
        _unallocated += uint128(amount - share);
        vendorBalance[vendor] += share;
        token.safeTransferFrom(payer, address(this), amount);
    }

    // ================================================================ issued totals (recorded through the key registry)

    /// @notice Called by the key registry when the issuer anchors a higher cumulative total under a key:
    ///         tokens issued across all keys can never exceed the credits funded.
    function recordIssued(uint64 added) external returns (uint64 total) {
        if (msg.sender != address(keyRegistry)) revert NotIssuer();
        total = totalIssued + added;
        if (total > creditsFunded) revert IssuedExceedsFunded(total, creditsFunded);
        totalIssued = total;
    }

    // ================================================================ bonds

    /// @notice Adds to the sender's clearing-house bond (kept apart from escrow).
    function depositBond(uint256 amount) external nonReentrant {
        bondOf[msg.sender] += amount;
        _bondsHeld += amount.toUint128();
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit BondDeposited(msg.sender, msg.sender, amount);
    }

    /// @notice The serving clearing house may withdraw down to {minBond}; a former one all of it once
    ///         its epochs can no longer be disputed. Never with disputes open against the bond.
    function withdrawBond(uint256 amount) external whenNotPaused nonReentrant {
        uint256 bond = bondOf[msg.sender];
        if (amount > bond) revert InsufficientBond(bond, amount);
        uint32 open = openDisputesAgainst[msg.sender];
        if (open != 0) revert OpenDisputesAgainstBond(open);
        if (msg.sender == clearingHouse) {
            if (bond - amount < minBond) revert BondTooSmall(bond - amount, minBond);
        } else {
            uint64 unlock = bondUnlockAt[msg.sender];
            if (activeTime() < unlock) revert BondLocked(unlock);
        }
        bondOf[msg.sender] = bond - amount;
        _bondsHeld -= uint128(amount);
        token.safeTransfer(msg.sender, amount);
        emit BondWithdrawn(msg.sender, amount);
    }

    // ================================================================ epochs and claims

    /// @notice The clearing house anchors an epoch: payout root, total, operator total and the leaf list's hash.
    ///         Epochs are consecutive; a frozen epoch may be posted again once its disputes are settled.
    function postEpoch(uint64 epoch, bytes32 root, uint256 total, uint256 operatorTotal, bytes32 leavesHash)
        external
        whenNotPaused
    {
        if (msg.sender != clearingHouse) revert NotClearingHouse();
        uint256 bond = bondOf[msg.sender];
        if (bond < minBond) revert BondTooSmall(bond, minBond);
        if (root == bytes32(0)) revert ZeroHash();
        if (operatorTotal > total) revert OperatorTotalAboveTotal(operatorTotal, total);
        uint64 nowActive = activeTime();
        uint8 round = _advanceEpoch(epoch, nowActive);
        _allocate(total, operatorTotal);
        _roots[epoch] = root;
        _heads[epoch] =
            EpochHead(total.toUint96(), uint96(operatorTotal), uint40(nowActive), _clearingHouseIndex[msg.sender], round);
        emit EpochPosted(epoch, round, root, total, operatorTotal, leavesHash, msg.sender);
    }

    /// @dev A new epoch must be the next one; an old one only when frozen with every dispute closed.
    function _advanceEpoch(uint64 epoch, uint64 nowActive) private returns (uint8 round) {
        uint64 next = nextEpoch;
        if (epoch == next) {
            nextEpoch = next + 1;
            lastPostAt = nowActive;
            return 1;
        }
        EpochState memory st = _states[epoch];
        if (epoch > next || st.frozenAt == 0 || st.openDisputes != 0) revert EpochNotPostable(epoch, next);
        uint8 previousRound = _heads[epoch].round;
        if (previousRound == type(uint8).max) revert TooManyRounds(epoch);
        delete _states[epoch];
        return previousRound + 1;
    }

    /// @dev Moves an epoch's total from unallocated to allocated within the bounds set by the issued totals.
    function _allocate(uint256 total, uint256 operatorTotal) private {
        uint256 unallocated = _unallocated;
        if (total > unallocated) revert TotalExceedsUnallocated(total, unallocated);
        uint256 issued = totalIssued;
        uint256 cumulativeOperator = cumulativeOperatorPosted + operatorTotal;
        uint256 operatorBound = operatorRate * issued;
        if (cumulativeOperator > operatorBound) revert OperatorTotalExceedsIssued(cumulativeOperator, operatorBound);
        uint256 cumulativeFee = cumulativeFeePosted + (total - operatorTotal);
        uint256 feeBound = (issued * creditPrice * feeBps) / 10_000;
        if (cumulativeFee > feeBound) revert FeeTotalExceedsIssued(cumulativeFee, feeBound);
        _unallocated = uint128(unallocated - total);
        _allocatedUnclaimed += uint128(total);
        cumulativeOperatorPosted = uint128(cumulativeOperator);
        cumulativeFeePosted = uint128(cumulativeFee);
    }

    /// @notice Pays one leaf to its payee once the epoch's dispute window has closed with no dispute open.
    ///         Anyone may submit it; the money goes to the payee.
    function claim(uint64 epoch, address payee, uint256 amount, bytes32[] calldata proof) external whenNotPaused nonReentrant {
        EpochHead memory head = _heads[epoch];
        if (head.round == 0) revert EpochNotPosted(epoch);
        EpochState memory st = _states[epoch];
        if (st.frozenAt != 0) revert EpochIsFrozen(epoch);
        uint64 closesAt = uint64(head.postedAt) + disputeWindow;
        if (activeTime() < closesAt) revert DisputeWindowOpen(epoch, closesAt);
        if (st.openDisputes != 0) revert DisputesOpen(epoch, st.openDisputes);
        if (claimed[epoch][payee]) revert AlreadyClaimed(epoch, payee);
        if (!MerkleProof.verifyCalldata(proof, _roots[epoch], payoutLeaf(epoch, payee, amount))) revert InvalidProof();
        // A tree whose leaves add up to more than the posted total can never pay out more than it.
        if (amount > head.unclaimed) revert ClaimsExceedTotal(epoch);

        claimed[epoch][payee] = true;
        _heads[epoch].unclaimed = head.unclaimed - uint96(amount);
        _allocatedUnclaimed -= uint128(amount);
        _claimsPaid += uint128(amount);
        token.safeTransfer(payee, amount);
        emit Claimed(epoch, payee, amount);
    }

    /// @notice OpenZeppelin StandardMerkleTree leaf of (uint64 epoch, address payee, uint256 amount).
    function payoutLeaf(uint64 epoch, address payee, uint256 amount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, payee, amount))));
    }

    /// @notice An epoch as stored: root, amounts, round, times (active clock) and dispute state.
    function epochInfo(uint64 epoch) external view returns (EpochView memory info) {
        EpochHead memory head = _heads[epoch];
        EpochState memory st = _states[epoch];
        info.root = _roots[epoch];
        info.unclaimed = head.unclaimed;
        info.operatorTotal = head.operatorTotal;
        info.round = head.round;
        info.poster = _clearingHouses[head.poster];
        info.postedAt = head.postedAt;
        info.windowClosesAt = head.round == 0 ? 0 : uint64(head.postedAt) + disputeWindow;
        info.frozenAt = st.frozenAt;
        info.openDisputes = st.openDisputes;
    }

    // ================================================================ receipts and disputes

    function receiptDigest(address payee, uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RECEIPT_TYPEHASH, payee, epoch, acceptedInEpoch, batchId)));
    }

    /// @notice Who signed a receipt (zero for a malformed signature): the contract's own verification.
    function receiptSigner(address payee, uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId, bytes calldata signature)
        public
        view
        returns (address)
    {
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(receiptDigest(payee, epoch, acceptedInEpoch, batchId), signature);
        return err == ECDSA.RecoverError.NoError ? signer : address(0);
    }

    /// @notice True when the receipt is signed by the serving clearing house.
    function isValidReceipt(address payee, uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId, bytes calldata signature)
        external
        view
        returns (bool)
    {
        address signer = receiptSigner(payee, epoch, acceptedInEpoch, batchId, signature);
        return signer != address(0) && signer == clearingHouse;
    }

    /// @notice An operator proves its leaf pays less than its receipt: the epoch freezes at once and
    ///         the poster's bond pays the shortfall plus the penalty. Works while paused.
    function disputeUnderpaid(
        uint64 epoch,
        uint64 acceptedInEpoch,
        bytes32 batchId,
        bytes calldata signature,
        uint256 leafAmount,
        bytes32[] calldata proof
    ) external nonReentrant {
        (EpochHead memory head, address poster, uint256 owed) = _checkDispute(epoch, acceptedInEpoch, batchId, signature);
        if (leafAmount >= owed) revert NotUnderpaid(leafAmount, owed);
        if (!MerkleProof.verifyCalldata(proof, _roots[epoch], payoutLeaf(epoch, msg.sender, leafAmount))) revert InvalidProof();
        _disputes[epoch][msg.sender] =
            Dispute(DisputeStatus.Proven, head.round, 0, acceptedInEpoch, owed.toUint96());
        _freeze(epoch, head);
        uint256 paid = _payFromBond(poster, msg.sender, owed - leafAmount + disputePenalty);
        emit UnderpaymentProven(epoch, msg.sender, head.round, leafAmount, owed, paid);
    }

    /// @notice An operator with no leaf in the epoch disputes with its receipt and a deposit; the
    ///         clearing house must answer with a leaf paying at least the receipt within {answerWindow}.
    function disputeMissing(uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId, bytes calldata signature)
        external
        nonReentrant
    {
        (EpochHead memory head, address poster, uint256 owed) = _checkDispute(epoch, acceptedInEpoch, batchId, signature);
        uint64 answerBy = activeTime() + answerWindow;
        _disputes[epoch][msg.sender] =
            Dispute(DisputeStatus.Open, head.round, uint40(answerBy), acceptedInEpoch, owed.toUint96());
        _states[epoch].openDisputes += 1;
        openDisputesAgainst[poster] += 1;
        _depositsHeld += disputeDeposit.toUint128();
        token.safeTransferFrom(msg.sender, address(this), disputeDeposit);
        emit DisputeOpened(epoch, msg.sender, head.round, acceptedInEpoch, batchId, owed, answerBy);
    }

    /// @notice The answer to a missing-leaf dispute: the payee's leaf and proof, paying at least what is owed.
    ///         The deposit goes to the poster's bond. Anyone may answer (the leaf list is public); works while paused.
    function answerDispute(uint64 epoch, address payee, uint256 leafAmount, bytes32[] calldata proof) external nonReentrant {
        Dispute storage d = _disputes[epoch][payee];
        if (d.status != DisputeStatus.Open) revert NoOpenDispute(epoch, payee);
        if (activeTime() > d.answerBy) revert AnswerWindowClosed(epoch, payee);
        if (leafAmount < d.owed) revert AnswerTooLow(leafAmount, d.owed);
        if (!MerkleProof.verifyCalldata(proof, _roots[epoch], payoutLeaf(epoch, payee, leafAmount))) revert InvalidProof();
        d.status = DisputeStatus.Answered;
        uint8 round = d.round;
        address poster = _closeDispute(epoch, round);
        uint256 deposit = disputeDeposit;
        _depositsHeld -= uint128(deposit);
        bondOf[poster] += deposit;
        _bondsHeld += uint128(deposit);
        emit DisputeAnswered(epoch, payee, round, leafAmount, deposit);
    }

    /// @notice After the answer window of an unanswered dispute, anyone settles it: the epoch freezes
    ///         (its total returns to unallocated), the deposit is returned and the bond pays the
    ///         shortfall plus the penalty.
    function settleDispute(uint64 epoch, address payee) external nonReentrant {
        Dispute storage d = _disputes[epoch][payee];
        if (d.status != DisputeStatus.Open) revert NoOpenDispute(epoch, payee);
        if (activeTime() <= d.answerBy) revert AnswerWindowOpen(epoch, payee, d.answerBy);
        d.status = DisputeStatus.Upheld;
        uint8 round = d.round;
        uint256 owed = d.owed;
        address poster = _closeDispute(epoch, round);
        EpochHead memory head = _heads[epoch];
        if (_states[epoch].frozenAt == 0) _freeze(epoch, head);
        uint256 deposit = disputeDeposit;
        _depositsHeld -= uint128(deposit);
        token.safeTransfer(payee, deposit);
        uint256 paid = _payFromBond(poster, payee, owed + disputePenalty);
        emit DisputeUpheld(epoch, payee, round, owed, paid);
    }

    /// @notice Receipts for an epoch the clearing house did not post within {postDeadline} of its last
    ///         post (or did not post again within {postDeadline} of a freeze) are paid from the bond of
    ///         the clearing house that signed them, plus the penalty; once per (epoch, payee).
    function claimLate(uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId, bytes calldata signature) external nonReentrant {
        uint64 nowActive = activeTime();
        if (epoch >= nextEpoch) {
            if (nowActive <= lastPostAt + postDeadline) revert EpochNotLate(epoch);
        } else {
            uint64 frozenAt = _states[epoch].frozenAt;
            if (frozenAt == 0 || nowActive <= frozenAt + postDeadline) revert EpochNotLate(epoch);
        }
        if (latePaid[epoch][msg.sender]) revert LateAlreadyPaid(epoch, msg.sender);
        address signer = receiptSigner(msg.sender, epoch, acceptedInEpoch, batchId, signature);
        if (signer == address(0) || _clearingHouseIndex[signer] == 0) revert NotSignedByClearingHouse(signer);
        latePaid[epoch][msg.sender] = true;
        uint256 owed = uint256(acceptedInEpoch) * operatorRate;
        uint256 paid = _payFromBond(signer, msg.sender, owed + disputePenalty);
        emit LateEpochPaid(epoch, msg.sender, signer, owed, paid);
    }

    function disputeOf(uint64 epoch, address payee)
        external
        view
        returns (DisputeStatus status, uint8 round, uint64 answerBy, uint64 acceptedInEpoch, uint256 owed)
    {
        Dispute memory d = _disputes[epoch][payee];
        return (d.status, d.round, d.answerBy, d.acceptedInEpoch, d.owed);
    }

    function _checkDispute(uint64 epoch, uint64 acceptedInEpoch, bytes32 batchId, bytes calldata signature)
        private
        view
        returns (EpochHead memory head, address poster, uint256 owed)
    {
        head = _heads[epoch];
        if (head.round == 0) revert EpochNotPosted(epoch);
        if (_states[epoch].frozenAt != 0) revert EpochIsFrozen(epoch);
        if (activeTime() >= uint64(head.postedAt) + disputeWindow) revert DisputeWindowClosed(epoch);
        Dispute memory existing = _disputes[epoch][msg.sender];
        if (existing.status != DisputeStatus.None && existing.round == head.round) revert DisputeExists(epoch, msg.sender);
        poster = _clearingHouses[head.poster];
        address signer = receiptSigner(msg.sender, epoch, acceptedInEpoch, batchId, signature);
        if (signer == address(0) || signer != poster) revert NotSignedByClearingHouse(signer);
        owed = uint256(acceptedInEpoch) * operatorRate;
        // A receipt counting nothing owes nothing: without this, an operator could get one (a batch of spent
        // tokens) and freeze any epoch with a missing-leaf dispute the house cannot answer (zero leaves are left out).
        if (owed == 0) revert NothingOwed(epoch);
    }

    /// @dev Counts a dispute of `round` as closed; returns the bond holder it was against.
    function _closeDispute(uint64 epoch, uint8 round) private returns (address poster) {
        EpochHead memory head = _heads[epoch];
        // A re-post needs every dispute of the frozen round closed, so an open dispute is always of the current round.
        assert(head.round == round);
        _states[epoch].openDisputes -= 1;
        poster = _clearingHouses[head.poster];
        openDisputesAgainst[poster] -= 1;
    }

    function _freeze(uint64 epoch, EpochHead memory head) private {
        // Claims wait for the window with no dispute open, so a frozen epoch has paid nothing yet:
        // its whole total (still `unclaimed`) returns, and its operator and fee parts leave the bounds.
        uint256 back = head.unclaimed;
        _states[epoch].frozenAt = uint40(activeTime());
        _allocatedUnclaimed -= uint128(back);
        _unallocated += uint128(back);
        cumulativeOperatorPosted -= head.operatorTotal;
        cumulativeFeePosted -= uint128(back - head.operatorTotal);
        emit EpochFrozen(epoch, head.round, back);
    }

    function _payFromBond(address holder, address to, uint256 amount) private returns (uint256 paid) {
        uint256 bond = bondOf[holder];
        paid = amount < bond ? amount : bond;
        if (paid == 0) return 0;
        bondOf[holder] = bond - paid;
        _bondsHeld -= uint128(paid);
        token.safeTransfer(to, paid);
        emit BondPaid(holder, to, paid);
    }

    function _setClearingHouse(address account) private {
        clearingHouse = account;
        if (_clearingHouseIndex[account] == 0) {
            _clearingHouseIndex[account] = uint16(_clearingHouses.length);
            _clearingHouses.push(account);
        }
    }

    // ================================================================ accounting views

    /// @notice Every term of the escrow invariant, and the token balance it must match.
    function accounts()
        external
        view
        returns (
            uint256 escrowReceived,
            uint256 vendorBalances,
            uint256 vendorWithdrawn,
            uint256 claimsPaid,
            uint256 allocatedUnclaimed,
            uint256 unallocated,
            uint256 bondsHeld,
            uint256 depositsHeld,
            uint256 tokenBalance
        )
    {
        return (
            _escrowReceived,
            _vendorBalances,
            _vendorWithdrawn,
            _claimsPaid,
            _allocatedUnclaimed,
            _unallocated,
            _bondsHeld,
            _depositsHeld,
            token.balanceOf(address(this))
        );
    }

    /// @notice True when escrow received = vendor balances + vendor withdrawals + claims paid +
    ///         allocated-but-unclaimed + unallocated, and the token balance covers escrow, bonds and deposits
    ///         (tokens sent to the contract directly are a surplus, never counted).
    function invariantHolds() external view returns (bool) {
        uint256 held = uint256(_vendorBalances) + _allocatedUnclaimed + _unallocated;
        bool books = _escrowReceived == held + _vendorWithdrawn + _claimsPaid;
        bool balance = token.balanceOf(address(this)) >= held + _bondsHeld + _depositsHeld;
        return books && balance;
    }

    function clearingHouses() external view returns (address[] memory) {
        return _clearingHouses;
    }
}
